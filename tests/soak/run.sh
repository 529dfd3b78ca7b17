#!/usr/bin/env bash
# Soak tests of libmobilenet.so through its C header (see each .c file):
#   soak_shared    the bundled model shared by 8 threads, results bit-identical
#                  to a sequential reference
#   soak_loadfree  4 threads x 50 concurrent load/run/free, thread-local errors
#   soak_cycles    10,000 load/run/free cycles, VmRSS growth < 2 MiB
#   soak_fork      300 children forked while 4 threads load/run/free 2- and
#                  4-thread models and hostile files (FIFO, 64 MiB header,
#                  sparse 2^40 bytes); SOAK_FORKS, SOAK_FORK_MODEL
#
#   tests/soak/run.sh [LIBDIR [INCDIR]]     defaults: .build/release include
# Environment:
#   SOAK_QUICK=1   fewer iterations (10 per thread, 10 loads per thread,
#                  1,000 cycles): about a minute, or for valgrind
#   RUNNER         command prefix for each test binary, e.g. "valgrind -q"
#   SOAK_MODEL     shared model (default models/mobilenet_v1_1.0_224.safetensors)
#   SOAK_SMALL_MODEL  model for the load/free tests
#                  (default tests/corpus/good/separable_labels.safetensors)
#   CC, SOAK_CFLAGS, SOAK_LDFLAGS (e.g. -fsanitize=thread), BUILD_DIR
#   (default .build-soak); SOAK_ITERATIONS, SOAK_THREADS,
#   SOAK_LOADS, SOAK_CYCLES, SOAK_RSS_BOUND_KB are read by the tests.
# Last line: "N passed, N failed" over all four; exit status 0 iff none failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
libdir=$(cd "${1:-$root/.build/release}" && pwd) || exit 2
incdir=$(cd "${2:-$root/include}" && pwd) || exit 2
build=${BUILD_DIR:-$root/.build-soak}
model=${SOAK_MODEL:-$root/models/mobilenet_v1_1.0_224.safetensors}
small=${SOAK_SMALL_MODEL:-$root/tests/corpus/good/separable_labels.safetensors}
bad=$root/tests/corpus/bad/format__nan_weight.safetensors
# A model whose layers are large enough to be split across the pool's threads.
fork_model=${SOAK_FORK_MODEL:-$root/tests/corpus/good/input_dependent_separable_alpha_0.125_res_32.safetensors}
mkdir -p "$build"
[ -f "$libdir/libmobilenet.so" ] || { echo "no libmobilenet.so in $libdir (run: make lib)" >&2; exit 2; }

for t in soak_shared soak_loadfree soak_cycles soak_fork; do
    # shellcheck disable=SC2086
    ${CC:-cc} -std=gnu99 -O2 -g -pthread -Wall -Wextra -Werror ${SOAK_CFLAGS:-} -I "$incdir" "$root/tests/soak/$t.c" \
        -L "$libdir" -lmobilenet -Wl,-rpath,"$libdir" ${SOAK_LDFLAGS:-} -o "$build/$t" || { echo "cannot compile $t"; exit 2; }
done

passed=0
failed=0
timings=()
run() {
    local name=$1
    shift
    echo "== $name"
    local start=$SECONDS
    local log="$build/$name.log"
    ${RUNNER:-} "$build/$name" "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local last
    last=$(tail -1 "$log")
    local p f
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<< "$last")
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<< "$last")
    if [ -z "$p" ]; then
        p=0
        f=1
        echo "FAIL  $name ended without a summary line (exit $rc)"
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1  # e.g. valgrind's --error-exitcode
        echo "FAIL  $name exited with $rc"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    timings+=("$name: $((SECONDS - start)) s, exit $rc")
}
run soak_shared "$model"
run soak_loadfree "$small" "$bad" "NaN or infinite"
run soak_cycles "$small"
run soak_fork "$fork_model"
echo "== soak timings${SOAK_QUICK:+ (quick)}"
printf '%s\n' "${timings[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
