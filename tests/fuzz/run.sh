#!/usr/bin/env bash
# Builds the fuzz targets (tests/fuzz/build.sh) and runs each for SECONDS
# (default 30), one after the other (the machine may have few cores):
#   fuzz_load  seeded with tests/corpus/{good,bad} (plus .build-fuzz/corpus/load), dictionary tests/fuzz/load.dict
#   fuzz_args  from what earlier local runs found in .build-fuzz/corpus (none in CI)
#   fuzz_load_path  the corpus as files with a fuzzed sparse size (up to 2^63 - 1)
#   fuzz_trainer  the corpus and the tiny model behind a zero parameter block
#              (defaults), for mobilenet_trainer_load and training calls
#   fuzz_tflite  seeded with the fixtures' α 0.25 .tflite files and the corpus's (the TFLite parser and verifier)
# Prints each target's executions and executions per second. Exits non-zero
# if a target crashed, leaked, timed out or broke an invariant; the input is
# then in .build-fuzz/artifacts/ and the command to replay it is printed.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]      e.g. tests/fuzz/run.sh 30
# Environment: BUILD_DIR (default .build-fuzz), FUZZ_FLAGS (extra
# libFuzzer flags), and build.sh's variables.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(load args load_path trainer tflite)
out=${BUILD_DIR:-$root/.build-fuzz}
export BUILD_DIR=$out

build_start=$(date +%s)
mkdir -p "$out"
tests/fuzz/build.sh > "$out/build.log" 2>&1 || { cat "$out/build.log"; echo "fuzz build failed"; exit 2; }
echo "fuzz build: $(( $(date +%s) - build_start )) s"

# Swift's crash backtracer would catch the sanitizers' and libFuzzer's
# signals first (and trips AddressSanitizer while it reads memory).
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="allocator_may_return_null=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

status=0
total=0
summary=()
for target in "${targets[@]}"; do
    corpus="$out/corpus/$target"
    artifacts="$out/artifacts/$target/"
    mkdir -p "$corpus" "$artifacts"
    flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
           -artifact_prefix="$artifacts" ${FUZZ_FLAGS:-})
    seeds=()
    case $target in
        load) flags+=(-dict=tests/fuzz/load.dict -max_len=131072)
              seeds=(tests/corpus/good tests/corpus/bad) ;;
        args) flags+=(-max_len=512) ;;
        load_path)
            # The corpus files with a size word in front: as they are, with
            # 3 zero bytes appended, and as sparse files of 2^40, 2^60 and
            # 2^63 - 1 bytes (see fuzz_load_path.swift).
            seed_dir="$out/seeds/load_path"
            mkdir -p "$seed_dir"
            if [ -z "$(ls -A "$seed_dir")" ]; then
                python3 - "$seed_dir" tests/corpus/good tests/corpus/bad <<'PY'
import os, struct, sys
out, *dirs = sys.argv[1:]
words = [0, 3, (1 << 63) | (1 << 40), (1 << 63) | (1 << 60), (1 << 64) - 1]
for d in dirs:
    for name in sorted(os.listdir(d)):
        blob = open(os.path.join(d, name), "rb").read()
        if len(blob) > 131072 - 8:
            continue
        for i, w in enumerate(words):
            open(os.path.join(out, f"{i}_{name}"), "wb").write(struct.pack("<Q", w) + blob)
# The overflow the target was made for: a tensor of 2^60 - 300 F64 elements
# in a sparse file of 2^60 bytes (count x 8 overflowed: SIGILL).
header = b'{"t":{"dtype":"F64","shape":[%d],"data_offsets":[0,8]}}' % ((1 << 60) - 300)
open(os.path.join(out, "sparse_f64_overflow"), "wb").write(
    struct.pack("<Q", (1 << 63) | (1 << 60)) + struct.pack("<Q", len(header)) + header)
PY
            fi
            flags+=(-dict=tests/fuzz/load.dict -max_len=131080)
            seeds=("$seed_dir") ;;
        trainer)
            # A 64-byte parameter block of zeros (default options, then small
            # steps; see fuzz_trainer.swift) before each file.
            seed_dir="$out/seeds/trainer"
            mkdir -p "$seed_dir"
            if [ -z "$(ls -A "$seed_dir")" ]; then
                python3 - "$seed_dir" "$out/fuzz_args_small_model.safetensors" tests/corpus/good tests/corpus/bad <<'PY'
import os, sys
out, small, *dirs = sys.argv[1:]
files = [small] + [os.path.join(d, n) for d in dirs for n in sorted(os.listdir(d))]
for path in files:
    blob = open(path, "rb").read()
    if len(blob) <= 131072:
        open(os.path.join(out, os.path.basename(path)), "wb").write(bytes(64) + blob)
PY
            fi
            flags+=(-dict=tests/fuzz/load.dict -max_len=131136)
            seeds=("$seed_dir") ;;
        tflite)
            seed_dir="$out/seeds/tflite"
            mkdir -p "$seed_dir"
            # The fixtures' small files (260-330 KB: float, int8, uint8), whole.
            cp tests/fixtures/tflite/mobilenet_v1_0.25_128_*.tflite "$seed_dir"
            find tests/corpus/good tests/corpus/bad -name '*.tflite' -exec cp {} "$seed_dir" \;
            flags+=(-max_len=1000000)
            seeds=("$seed_dir") ;;
        *) echo "unknown target $target"; exit 2 ;;
    esac
    log="$out/fuzz_$target.log"
    echo "== fuzz_$target for $seconds s"
    "$out/fuzz_$target" "${flags[@]}" "$corpus" "${seeds[@]}" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    runs=${runs:-0}
    total=$(( total + runs ))
    if [ $rc -ne 0 ]; then
        status=1
        echo "fuzz_$target FAILED (exit $rc); log: $log"
        grep -E -A40 "ERROR: |FUZZ INVARIANT BROKEN|==ABORTING|deadly signal|Test unit written" "$log" \
            | grep -v -E '^ *r[0-9a-z]+ 0x' | head -80
        for a in $(sed -n "s/^Test unit written to //p" "$log"); do
            echo "replay: SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp $out/fuzz_$target $a"
        done
    fi
    summary+=("fuzz_$target: $runs executions, $rate exec/s, $cov, exit $rc")
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
echo "total executions: $total"
exit $status
