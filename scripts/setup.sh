#!/usr/bin/env bash
# Installs what building and testing libmobilenet needs on a fresh Debian
# machine with the Swift toolchain: system packages and a local Python venv.
# Idempotent; quick when everything is already there.
#   scripts/setup.sh          system packages only (for the demo)
#   scripts/setup.sh --test   also .venv with the test requirements
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libstb-dev pkg-config valgrind)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
    if [ ! -x .venv/bin/python ]; then
        echo "setup: creating .venv"
        python3 -m venv .venv
    fi
    if ! .venv/bin/python -c "import numpy, PIL, pytest, onnx, onnxruntime, dask.dataframe, distributed, sklearn, skimage" 2>/dev/null; then
        echo "setup: installing Python test requirements into .venv"
        .venv/bin/pip install -q --disable-pip-version-check -r tests/python/requirements.txt
    fi
fi
