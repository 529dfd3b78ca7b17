#!/usr/bin/env bash
# Sets up and runs every test (the README's test command, and CI's):
#   Swift tests (XCTest)                 swift test
#   C tests against the INSTALLED header and library, the C example, under valgrind
#   Python tests of the binding          pytest tests/python
#   hardening: the bad-model corpus, the soak tests (threads, load/free, 10k cycles),
#   libFuzzer runs of the loader and the argument checks, Swift tests under
#   AddressSanitizer and ThreadSanitizer
# It installs what it needs on a fresh Debian machine with Swift (scripts/setup.sh).
# FUZZ_SECONDS (default 30 per target) sets the fuzzing time; MOBILENET_SKIP_SANITIZERS=1
# skips the sanitizer builds (for a quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p build
./scripts/setup.sh --test

timings=()
stage() {  # stage NAME COMMAND...: runs and times one stage, stops on failure
    local name=$1; shift
    echo
    echo "== $name"
    local start=$SECONDS
    "$@"
    timings+=("$(printf '%-34s %4ds' "$name" $((SECONDS - start)))")
}

swift_tests() {  # swift_tests LOG [ARGS...]: swift test, checked for failures
    local log=$1; shift
    swift test "$@" 2>&1 | tee "$log" | grep -E "error:|failed|Executed [0-9]+ tests" | tail -20
    grep -q "with 0 failures" "$log" && ! grep -q -E "error:|Test run with .* failed|issues? recorded" "$log" \
        || { echo "Swift tests failed (see $log)"; return 1; }
}

install_library() {
    make -s install PREFIX="$root/build/prefix"
    ldd build/prefix/lib/libmobilenet.so
}

python_tests() {
    .venv/bin/pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python >/dev/null
    MOBILENET_LIBRARY="$root/build/prefix/lib/libmobilenet.so" .venv/bin/python -m pytest -q tests/python
}

# The reference tests (TensorFlow's and ONNX Runtime's logits) once more on
# every kernel tier below the best this machine runs (the best ran above).
python_tier_tests() {
    local lib="$root/build/prefix/lib/libmobilenet.so" best tier
    best=$(.venv/bin/python -c 'import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); print({1: "generic", 2: "avx2", 3: "avx512", 4: "neon"}.get(lib.mobilenet_best_isa(), "?"))' "$lib")
    for tier in generic avx2; do
        [ "$tier" = "$best" ] && break
        echo "-- MOBILENET_MAX_ISA=$tier (best here: $best)"
        MOBILENET_MAX_ISA=$tier MOBILENET_LIBRARY="$lib" .venv/bin/python -m pytest -q \
            tests/python/test_reference_onnx.py tests/python/test_reference_tf.py \
            tests/python/test_training_tf.py tests/python/test_tflite.py tests/python/test_quantize.py || return 1
    done
}

stage "build and install libmobilenet.so" install_library
stage "Swift tests" swift_tests build/swift-test.log
stage "C tests (+ valgrind)" tests/c/run.sh "$root/build/prefix"
stage "CLI tests" tests/cli/run.sh "$root/build/prefix"
stage "Python tests" python_tests
stage "Python reference tests, other tiers" python_tier_tests
stage "bad-model corpus" tests/corpus/check.sh build/prefix/lib build/prefix/include
stage "soak tests" tests/soak/run.sh build/prefix/lib build/prefix/include
stage "fuzzing" tests/fuzz/run.sh "${FUZZ_SECONDS:-30}"
if [ "${MOBILENET_SKIP_SANITIZERS:-0}" != 1 ]; then
    # sanitize.sh suppresses XCTest's own leaks and fails on any sanitizer report.
    stage "Swift tests, AddressSanitizer" scripts/sanitize.sh asan
    stage "Swift tests, ThreadSanitizer" scripts/sanitize.sh tsan
fi

echo
echo "== all tests passed; time per stage:"
printf '  %s\n' "${timings[@]}"
