#!/usr/bin/env bash
# Sets up, builds and classifies a bundled photo with the bundled ImageNet
# model through the command-line tool. Extra arguments go to the tool, e.g.
#   scripts/demo.sh examples/images/coffee.png --top-k 3
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --product mobilenet-cli 2>&1 | grep -E "error|warning: |Compiling|Build" || true
if [ $# -eq 0 ]; then set -- examples/images/cat.jpg examples/images/coffee.png; fi
exec .build/release/mobilenet-cli classify --model models/mobilenet_v1_1.0_224.safetensors "$@"
