#!/usr/bin/env bash
# Sets up and runs every test: Swift (XCTest), C (against the installed header
# and library, plus the examples, under valgrind) and Python (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
./scripts/setup.sh --test

echo "== build and install libmobilenet.so into build/prefix"
make -s install PREFIX="$root/build/prefix"
ldd build/prefix/lib/libmobilenet.so

echo "== Swift tests"
swift test 2>&1 | tee build/swift-test.log | grep -E "error:|failed|Executed .* tests" | tail -20
grep -q "with 0 failures" build/swift-test.log && ! grep -q -E "error:|Test run with .* failed|issues? recorded" build/swift-test.log \
    || { echo "Swift tests failed"; exit 1; }

echo "== C tests"
tests/c/run.sh "$root/build/prefix"

echo "== Python tests"
.venv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python >/dev/null
export MOBILENET_LIBRARY="$root/build/prefix/lib/libmobilenet.so"
.venv/bin/python -m pytest -q tests/python
