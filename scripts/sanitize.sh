#!/usr/bin/env bash
# Runs libmobilenet's tests under the sanitizers and valgrind, timing each part:
#   asan      swift test --sanitize=address   (scratch path .build-asan)
#   tsan      swift test --sanitize=thread    (scratch path .build-tsan)
#   c-asan    libmobilenet.so built from Sources/ with swiftc -sanitize=address
#             (.build-c-address/), then the corpus check and the soak tests
#             (quick) compiled with clang -fsanitize=address against it
#   c-tsan    the same with ThreadSanitizer (.build-c-thread/): the soak tests
#             are where many threads share one model, which swift test does
#             not do
#   valgrind  the corpus check (tests/corpus/check.sh) and the soak tests in
#             quick mode (tests/soak/run.sh) against the release
#             libmobilenet.so, under valgrind --error-exitcode=99
#             --leak-check=full --errors-for-leak-kinds=definite
#
#   scripts/sanitize.sh [PART...]   PART: asan tsan c-asan c-tsan valgrind
#                                   (default: all, in that order)
# Environment:
#   LIBDIR   directory with the release libmobilenet.so for the valgrind part
#            (default: build it with `swift build -c release --product
#            mobilenet` and use .build/release)
#   VALGRIND_SOAK_MODEL, VALGRIND_SOAK_ITERATIONS, VALGRIND_SOAK_CYCLES
#            the soak tests under valgrind: shared model (default
#            tests/corpus/good/alpha_0.0625_res_24.safetensors, as the bundled
#            model takes seconds per image there), iterations per thread
#            (default 10), load/run/free cycles (default 200)
#   C_TSAN_SOAK_ITERATIONS  iterations per thread of soak_shared (bundled
#            model) under ThreadSanitizer (default 3)
#   SWIFT_TEST_ARGS  extra arguments for both swift test runs (e.g. --filter)
# Logs go to .build-sanitize/. Exits non-zero if any part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
logs=$root/.build-sanitize
mkdir -p "$logs"
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(asan tsan c-asan c-tsan valgrind)

results=()
failed=0

# LeakSanitizer suppressions for the Swift test runs: objects whose only
# reference is a pointer with extra bits packed in, which the leak scanner
# does not recognize, so it reports them as "directly leaked" although they
# are live:
#  - the Swift runtime's type-name cache and weak-reference side tables
#    (XCTest's), both toolchain-side;
#  - a model held for the whole run by a test's static `model` (e.g.
#    TensorFlowReferenceTests.model): a Stage enum keeps its case tag in the
#    spare bits of its payload's last object pointer (the pointwise stages'
#    bias buffers). Models that are freed leak nothing: the fuzz_load target
#    and valgrind check that.
cat > "$logs/lsan-swift-test.supp" <<'SUPP'
leak:swift_getTypeName
leak:formWeakReference
leak:5model_WZ
leak:XCTMainMisc
leak:6XCTest0A8SuiteRunC
leak:6XCTest0A7CaseRunC
SUPP
export LSAN_OPTIONS="suppressions=$logs/lsan-swift-test.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Allocation failure is an error the library reports (AllocationTests ask for
# 2^62 bytes): the sanitizers must return NULL as malloc does, not abort.
export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export TSAN_OPTIONS="allocator_may_return_null=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
# Swift's crash backtracer would catch a sanitizer's signal before it reports.
export SWIFT_BACKTRACE=enable=no
# The Swift tests' largest training cases (a float64 reference that runs 5-10x
# slower instrumented) stay in the plain run; see TrainerGradientTests.
export MOBILENET_TEST_QUICK=1
record() {  # name, seconds, status text
    results+=("$(printf '%-42s %6s s  %s' "$1" "$2" "$3")")
}

# A Swift test run: passes if swift test exits 0 and the log shows no
# sanitizer report (a report does not always change the exit status).
swift_test() {
    local name=$1 flag=$2 scratch=$3
    local log="$logs/swift-test-$flag.log" start=$SECONDS
    echo "== $name: swift test --sanitize=$flag --scratch-path $scratch (log: $log)"
    # shellcheck disable=SC2086
    swift test --sanitize="$flag" --scratch-path "$scratch" ${SWIFT_TEST_ARGS:-} > "$log" 2>&1
    local rc=$?
    local reports
    reports=$(grep -c -E "^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer|SUMMARY: (Address|Thread|Undefined)Sanitizer)" "$log")
    local tests
    tests=$(grep -E "Executed [0-9]+ tests?" "$log" | tail -1 | sed 's/^ *//')
    if [ $rc -eq 0 ] && [ "$reports" -eq 0 ]; then
        record "$name" $((SECONDS - start)) "passed: ${tests:-?}"
    else
        failed=1
        record "$name" $((SECONDS - start)) "FAILED (exit $rc, $reports sanitizer reports): ${tests:-?}"
        grep -E -A30 "^(==[0-9]+==ERROR|WARNING: ThreadSanitizer)" "$log" | head -120
        grep -E "error:|failed" "$log" | head -20
    fi
}

valgrind_part() {
    local libdir=${LIBDIR:-}
    if [ -z "$libdir" ]; then
        local start=$SECONDS
        echo "== building libmobilenet.so (swift build -c release --product mobilenet)"
        if ! swift build -c release --product mobilenet > "$logs/build-lib.log" 2>&1; then
            tail -30 "$logs/build-lib.log"
            record "valgrind: build libmobilenet.so" $((SECONDS - start)) "FAILED"
            failed=1
            return
        fi
        record "valgrind: build libmobilenet.so" $((SECONDS - start)) "ok"
        libdir=$root/.build/release
    fi
    command -v valgrind > /dev/null || { record "valgrind" 0 "SKIPPED: no valgrind"; failed=1; return; }
    local vg="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --num-callers=30"

    local start=$SECONDS log="$logs/valgrind-corpus.log"
    echo "== valgrind: corpus check (log: $log)"
    rm -f "$logs"/valgrind-corpus.*.txt
    RUNNER="$vg --log-file=$logs/valgrind-corpus.%p.txt" BUILD_DIR="$root/.build-sanitize/corpus" \
        tests/corpus/check.sh "$libdir" "$root/include" > "$log" 2>&1
    local rc=$?
    summarize_valgrind "valgrind: corpus check" $rc "$start" "$log" "$logs"/valgrind-corpus.*.txt

    start=$SECONDS
    log="$logs/valgrind-soak.log"
    echo "== valgrind: soak tests, quick mode (log: $log)"
    rm -f "$logs"/valgrind-soak.*.txt
    # Under valgrind VmRSS includes valgrind's own bookkeeping (its queue of
    # freed blocks alone is 20 MB), so the RSS bound is not checked here;
    # leaks are valgrind's to report.
    # The shared-model test uses a small model here: a 224x224 inference of the
    # bundled one takes seconds under valgrind.
    SOAK_QUICK=1 SOAK_ITERATIONS=${VALGRIND_SOAK_ITERATIONS:-10} SOAK_CYCLES=${VALGRIND_SOAK_CYCLES:-200} \
        SOAK_MODEL=${VALGRIND_SOAK_MODEL:-$root/tests/corpus/good/alpha_0.0625_res_24.safetensors} \
        SOAK_RSS_BOUND_KB=100000000 \
        RUNNER="$vg --log-file=$logs/valgrind-soak.%p.txt" BUILD_DIR="$root/.build-sanitize/soak" \
        tests/soak/run.sh "$libdir" "$root/include" > "$log" 2>&1
    rc=$?
    summarize_valgrind "valgrind: soak (quick)" $rc "$start" "$log" "$logs"/valgrind-soak.*.txt
}

summarize_valgrind() {
    local name=$1 rc=$2 start=$3 log=$4
    shift 4
    local errors=0 definite=0 f
    for f in "$@"; do
        [ -f "$f" ] || continue
        local e d
        e=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$f" | tail -1)
        d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -1 | tr -d ,)
        errors=$((errors + ${e:-0}))
        definite=$((definite + ${d:-0}))
    done
    local last
    last=$(tail -1 "$log")
    if [ "$rc" -eq 0 ] && [ "$errors" -eq 0 ]; then
        record "$name" $((SECONDS - start)) "passed: $last; 0 valgrind errors, definitely lost $definite bytes"
    else
        failed=1
        record "$name" $((SECONDS - start)) "FAILED (exit $rc): $last; $errors valgrind errors, definitely lost $definite bytes"
        tail -20 "$log"
        for f in "$@"; do
            [ -f "$f" ] && grep -q -E "ERROR SUMMARY: [1-9]" "$f" && { echo "--- $f"; head -80 "$f"; }
        done
    fi
}

# libmobilenet.so built from the sources with swiftc -sanitize=KIND into DIR
# (flags as Package.swift's; the Swift runtime stays dynamic).
build_sanitized_lib() {
    local kind=$1 dir=$2
    mkdir -p "$dir"
    local common=(-swift-version 5 -parse-as-library -wmo -g -sanitize="$kind" -I "$dir"
                  -I Sources/Core/Kernels/CPUFeatures)
    # One module per kernel tier, as Package.swift builds them: NAME FOLDER TARGET-CPU FMA.
    local tiers=("MobileNetF32Generic Generic - no")
    [ "$(uname -m)" = x86_64 ] || tiers=("MobileNetF32Generic Generic - yes")
    [ "$(uname -m)" = x86_64 ] && tiers+=("MobileNetF32AVX2 AVX2 haswell yes" "MobileNetF32AVX512 AVX512 cascadelake yes")
    local objects=("$dir/MobileNetKernelInterface.o") tier name folder cpu fma flags
    swiftc "${common[@]}" -module-name MobileNetKernelInterface -O \
        -emit-module -emit-module-path "$dir/MobileNetKernelInterface.swiftmodule" \
        -c Sources/Core/Kernels/Interface/*.swift -o "$dir/MobileNetKernelInterface.o" || return 1
    for tier in "${tiers[@]}"; do
        read -r name folder cpu fma <<< "$tier"
        flags=()
        [ "$cpu" != - ] && flags+=(-target-cpu "$cpu")
        [ "$fma" = yes ] && flags+=(-D MOBILENET_FMA)
        swiftc "${common[@]}" -module-name "$name" -Ounchecked -enforce-exclusivity=unchecked "${flags[@]}" \
            -emit-module -emit-module-path "$dir/$name.swiftmodule" \
            -c Sources/Core/Kernels/F32/"$folder"/*.swift -o "$dir/$name.o" || return 1
        objects+=("$dir/$name.o")
    done
    swiftc "${common[@]}" -module-name MobileNet -O \
        -emit-module -emit-module-path "$dir/MobileNet.swiftmodule" \
        -c $(find Sources/Core/MobileNet -name '*.swift' | sort) -o "$dir/MobileNet.o" &&
    swiftc "${common[@]}" -module-name MobileNetCABI -O -I Sources/CABI/CMobileNetHeader \
        -emit-module -emit-module-path "$dir/MobileNetCABI.swiftmodule" \
        -c Sources/CABI/MobileNetCABI/*.swift -o "$dir/MobileNetCABI.o" &&
    swiftc -sanitize="$kind" -emit-library -o "$dir/libmobilenet.so" \
        "${objects[@]}" "$dir/MobileNet.o" "$dir/MobileNetCABI.o" \
        -Xlinker --version-script=Sources/CABI/libmobilenet.map
}

# The corpus check and the quick soak tests, compiled with the toolchain's
# clang and -fsanitize=KIND, against a libmobilenet.so built with it.
c_sanitized() {
    local kind=$1 name="C tests ($1)" dir="$root/.build-c-$1" log="$logs/c-$1.log" start=$SECONDS
    echo "== $name: libmobilenet.so with -sanitize=$kind in $dir (log: $log)"
    if ! build_sanitized_lib "$kind" "$dir" > "$log" 2>&1; then
        tail -20 "$log"
        record "$name: build" $((SECONDS - start)) "FAILED"
        failed=1
        return
    fi
    record "$name: build" $((SECONDS - start)) "ok"
    local swiftbin swiftlib
    swiftbin=$(dirname "$(command -v swiftc)")
    swiftlib=$(cd "$swiftbin/../lib/swift/linux" && pwd)
    local cflags="-fsanitize=$kind -fno-omit-frame-pointer"
    # The toolchain's sanitizer runtimes intercept libdispatch as well.
    local ldflags="-fsanitize=$kind -L$swiftlib -ldispatch -lBlocksRuntime -Wl,-rpath,$swiftlib"
    local env_common=(CC="$swiftbin/clang")
    [ "$kind" = thread ] && export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

    start=$SECONDS
    env "${env_common[@]}" CHECK_CFLAGS="$cflags" CHECK_LDFLAGS="$ldflags" BUILD_DIR="$dir/corpus" \
        tests/corpus/check.sh "$dir" "$root/include" >> "$log" 2>&1
    local rc=$?
    summarize_sanitizer "$name: corpus check" $rc "$start" "$log"

    start=$SECONDS
    local soak_log="$logs/c-$kind-soak.log"
    env "${env_common[@]}" SOAK_CFLAGS="$cflags" SOAK_LDFLAGS="$ldflags" BUILD_DIR="$dir/soak" SOAK_QUICK=1 \
        SOAK_ITERATIONS="$([ "$kind" = thread ] && echo "${C_TSAN_SOAK_ITERATIONS:-3}" || echo 10)" \
        SOAK_CYCLES="$([ "$kind" = thread ] && echo 300 || echo 1000)" SOAK_RSS_BOUND_KB=100000000 \
        tests/soak/run.sh "$dir" "$root/include" > "$soak_log" 2>&1
    rc=$?
    summarize_sanitizer "$name: soak (quick)" $rc "$start" "$soak_log"
}

summarize_sanitizer() {
    local name=$1 rc=$2 start=$3 log=$4
    local reports last
    reports=$(grep -c -E "^(==[0-9]+==ERROR: |WARNING: ThreadSanitizer|SUMMARY: (Address|Thread|Leak)Sanitizer)" "$log")
    last=$(tail -1 "$log")
    if [ "$rc" -eq 0 ] && [ "$reports" -eq 0 ]; then
        record "$name" $((SECONDS - start)) "passed: $last"
    else
        failed=1
        record "$name" $((SECONDS - start)) "FAILED (exit $rc, $reports sanitizer reports): $last"
        grep -E -A40 "^(==[0-9]+==ERROR|WARNING: ThreadSanitizer)" "$log" | head -150
        grep -E "^FAIL" "$log" | head -20
    fi
}

for part in "${parts[@]}"; do
    case $part in
        asan) swift_test "swift test (AddressSanitizer)" address .build-asan ;;
        tsan) swift_test "swift test (ThreadSanitizer)" thread .build-tsan ;;
        c-asan) c_sanitized address ;;
        c-tsan) c_sanitized thread ;;
        valgrind) valgrind_part ;;
        *) echo "unknown part $part (asan, tsan, c-asan, c-tsan, valgrind)"; exit 2 ;;
    esac
done
echo "== sanitize summary"
printf '%s\n' "${results[@]}"
exit $failed
