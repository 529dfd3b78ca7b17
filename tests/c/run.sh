#!/usr/bin/env bash
# tests/c/run.sh PREFIX -- tests the INSTALLED libmobilenet (make install
# PREFIX=...) from C, as a user would use it: through pkg-config only.
#
#   1. mobilenet.pc: found, version equal to the header's
#   2. the library exports exactly the header's functions
#   3. header tests: mobilenet.h compiles as C99/C11 and C++11/17/20 with
#      gcc and g++ (and clang/clang++ if present), -Wall -Wextra -Werror
#      -pedantic, with static ABI checks; linked and run
#   4. tests/c/test_api.c: every function of the header; tests/c/test_no_alloc.c:
#      no allocation per inference after the first at a size (malloc counted);
#      hostile environments: test_files.c (FIFOs, devices, sockets, symlinks,
#      non-UTF-8 names), test_tsd_keys.c (no pthread key left),
#      test_sparse.c (huge sparse files), test_memory.c (64 MiB headers:
#      time and peak memory; hostile headers under RLIMIT_AS), test_fork.c
#      (children forked after and during multi-threaded runs),
#      test_default_threads.c (num_threads 0 under taskset -c 0 is 1 thread);
#      training: test_trainer.c (every mobilenet_trainer_* argument, then
#      training a tiny network: loss, slots, resume, export, threads),
#      test_trainer_kill.c (checkpoint saves SIGKILLed: the file stays valid)
#   5. examples/c/classify.c on examples/images/cat.jpg and coffee.png, and
#      its error exits
#   6. library file names: libmobilenet.so.VERSION with SONAME
#      libmobilenet.so.MAJOR, the symlinks, NEEDED libmobilenet.so.MAJOR in a
#      linked program, pkg-config's model variable naming the installed model
#   7. the README's complete C program and its commands, as pasted
#      (tests/c/readme_example.sh)
#   8. under valgrind (if installed): the API test in quick mode and the
#      example, with --error-exitcode=99 --leak-check=full
#      --errors-for-leak-kinds=definite
#
# The model is $MOBILENET_MODEL, else PREFIX/share/mobilenet/..., else the
# repository's models/. Set CC / CXX to choose the compilers,
# MOBILENET_SKIP_VALGRIND=1 to skip step 8, KEEP_BUILD=1 to keep the build
# directory. Exits non-zero on any failure.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX   (where 'make install PREFIX=...' put libmobilenet)" >&2
    exit 2
fi
prefix=$(cd "$1" 2>/dev/null && pwd) || { echo "run.sh: no such directory: $1" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CC=${CC:-cc}
CXX=${CXX:-c++}

failures=0
passes=0
pass() { passes=$((passes + 1)); echo "  ok    $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL  $*"; }
step() { echo; echo "== $*"; }
# run_logged NAME LOG CMD...: runs CMD, output to LOG; prints LOG on failure.
run_logged() {
    local name=$1 log=$2
    shift 2
    if "$@" >"$log" 2>&1; then
        pass "$name"
        return 0
    else
        local rc=$?
        fail "$name (exit $rc): $*"
        sed 's/^/        /' "$log" | tail -n 60
        return "$rc"
    fi
}

build=$(mktemp -d "${TMPDIR:-/tmp}/mobilenet-c-tests.XXXXXX")
cleanup() { if [ -z "${KEEP_BUILD:-}" ]; then rm -rf "$build"; else echo "build directory kept: $build"; fi; }
trap cleanup EXIT

step "installed files under $prefix"
for f in lib/libmobilenet.so include/mobilenet.h lib/pkgconfig/mobilenet.pc; do
    if [ -f "$prefix/$f" ]; then pass "$f"; else fail "$f missing"; fi
done
if [ "$failures" -ne 0 ]; then
    echo "run.sh: run 'make install PREFIX=$prefix' first"
    exit 1
fi

step "pkg-config"
command -v pkg-config >/dev/null || { fail "pkg-config is not installed"; exit 1; }
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
cflags=$(pkg-config --cflags mobilenet) && libs=$(pkg-config --libs mobilenet) \
    || { fail "pkg-config --cflags --libs mobilenet"; exit 1; }
rpath="-Wl,-rpath,$prefix/lib"
echo "  cflags: $cflags"
echo "  libs:   $libs $rpath"
header_version=$(sed -n 's/^#define MOBILENET_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/mobilenet.h")
pc_version=$(pkg-config --modversion mobilenet)
if [ -n "$header_version" ] && [ "$pc_version" = "$header_version" ]; then
    pass "pkg-config --modversion $pc_version = header $header_version"
else
    fail "pkg-config --modversion '$pc_version' != header '$header_version'"
fi
case " $cflags " in *" -I$prefix/include "*) pass "cflags name $prefix/include" ;;
    *) if [ "$prefix/include" = /usr/include ]; then pass "system include dir"; else fail "cflags '$cflags' lack -I$prefix/include"; fi ;; esac
case " $libs " in *" -lmobilenet "*) pass "libs name -lmobilenet" ;; *) fail "libs '$libs' lack -lmobilenet" ;; esac
case " $libs " in *" -L$prefix/lib "*) pass "libs name -L$prefix/lib" ;;
    *) if [ "$prefix/lib" = /usr/lib ]; then pass "system lib dir"; else fail "libs '$libs' lack -L$prefix/lib"; fi ;; esac
if pkg-config --validate mobilenet 2>/dev/null; then pass "pkg-config --validate"; else fail "pkg-config --validate mobilenet"; fi

step "exported symbols of libmobilenet.so = the header's functions"
if command -v nm >/dev/null; then
    # Function names declared in the header (MOBILENET_API ... name(...)).
    grep -v '^[[:space:]]*#' "$prefix/include/mobilenet.h" | tr '\n' ' ' | grep -o 'MOBILENET_API[^;(]*(' \
        | sed -E 's/.*[ *]([A-Za-z_][A-Za-z0-9_]*)\($/\1/' | sort -u >"$build/declared.txt"
    # Global defined dynamic symbols (uppercase types; u = GNU unique).
    nm -D --defined-only "$prefix/lib/libmobilenet.so" | awk '$2 ~ /^[A-Zu]$/ {print $3}' \
        | sed 's/@.*//' | sort -u >"$build/exported.txt"
    echo "  $(wc -l <"$build/declared.txt") functions declared, $(wc -l <"$build/exported.txt") global symbols exported"
    if [ "$(wc -l <"$build/declared.txt")" -lt 14 ]; then
        fail "could not parse the header's functions"
    elif diff -u "$build/declared.txt" "$build/exported.txt" >"$build/symbols.diff"; then
        pass "exports match the header"
    else
        fail "exports differ from the header (- declared only, + exported only):"
        sed -n '3,$p' "$build/symbols.diff" | grep '^[-+]' | head -40 | sed 's/^/        /'
    fi
    if command -v ldd >/dev/null; then
        if ldd "$prefix/lib/libmobilenet.so" | grep -qi swift; then
            fail "libmobilenet.so depends on a Swift runtime library: $(ldd "$prefix/lib/libmobilenet.so" | grep -i swift | tr -s ' \t' ' ')"
        else
            pass "no Swift runtime dependency (ldd)"
        fi
    fi
else
    echo "  (nm not found: skipped)"
fi

step "header tests (C and C++, static ABI checks)"
cwarn="-Wall -Wextra -Werror -pedantic -Wstrict-prototypes -Wmissing-prototypes -Wshadow -Wundef -Wcast-qual -Wconversion"
cxxwarn="-Wall -Wextra -Werror -pedantic -Wold-style-cast -Wzero-as-null-pointer-constant -Wundef -Wshadow -Wconversion"
compilers_c=("$CC")
compilers_cxx=("$CXX")
if command -v clang >/dev/null && [ "$(basename "$CC")" != clang ]; then compilers_c+=(clang); fi
if command -v clang++ >/dev/null && [ "$(basename "$CXX")" != clang++ ]; then compilers_cxx+=(clang++); fi
n=0
for cc in "${compilers_c[@]}"; do
    for std in c99 c11; do
        n=$((n + 1))
        exe="$build/header_c_$n"
        # shellcheck disable=SC2086
        if run_logged "$cc -std=$std header_c99.c" "$build/header_c_$n.log" \
            "$cc" -std=$std $cwarn $cflags -I"$here" "$here/header_c99.c" -o "$exe" $libs $rpath; then
            run_logged "  run header_c99 ($cc, $std)" "$build/header_c_$n.run" "$exe"
        fi
    done
done
for cxx in "${compilers_cxx[@]}"; do
    for std in c++11 c++17 c++20; do
        n=$((n + 1))
        exe="$build/header_cxx_$n"
        # shellcheck disable=SC2086
        if run_logged "$cxx -std=$std header_cxx.cpp" "$build/header_cxx_$n.log" \
            "$cxx" -std=$std $cxxwarn $cflags -I"$here" "$here/header_cxx.cpp" -o "$exe" $libs $rpath; then
            run_logged "  run header_cxx ($cxx, $std)" "$build/header_cxx_$n.run" "$exe"
        fi
    done
done

step "model"
model=${MOBILENET_MODEL:-}
if [ -z "$model" ]; then
    for candidate in "$prefix/share/mobilenet/mobilenet_v1_1.0_224.safetensors" \
                     "$root/models/mobilenet_v1_1.0_224.safetensors"; do
        if [ -f "$candidate" ]; then model=$candidate; break; fi
    done
fi
if [ -n "$model" ] && [ -f "$model" ]; then pass "model $model"; else fail "no model found (set MOBILENET_MODEL)"; model=/nonexistent; fi

strict="-std=c99 -Wall -Wextra -Werror -pedantic"

# c_test NAME SHOW [LIBS...]: compiles tests/c/NAME.c, runs it on the model
# (as $run_prefix EXE MODEL $run_args, when those are set) and
# expects its last line to be "N passed, 0 failed". SHOW is "all" to print its
# whole output, "failures" for only its unindented lines (failures, summary).
c_test() {
    local name=$1 show=$2
    shift 2
    local exe="$build/$name"
    # shellcheck disable=SC2086
    if run_logged "compile $name.c ($strict)" "$build/$name.log" \
        "$CC" $strict -O1 -g $cflags "$here/$name.c" -o "$exe" $libs $rpath "$@"; then
        echo "  running ${run_prefix:-}${run_prefix:+ }$exe $model ${run_args:-}"
        # shellcheck disable=SC2086
        ${run_prefix:-} "$exe" "$model" ${run_args:-} >"$build/$name.out" 2>&1
        local rc=$?
        if [ "$show" = all ]; then
            sed 's/^/      /' "$build/$name.out"
        else
            grep -v '^ ' "$build/$name.out" | sed 's/^/        /' | tail -n 80
        fi
        local summary
        summary=$(tail -n 1 "$build/$name.out")
        if [ $rc -eq 0 ] && echo "$summary" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
            pass "$name: $summary"
        else
            fail "$name (exit $rc): $summary"
        fi
    fi
}

step "API test (tests/c/test_api.c)"
api="$build/test_api"  # run again under valgrind below
c_test test_api failures -lpthread -lm

step "training API (tests/c/test_trainer.c)"
c_test test_trainer failures -lm

step "head-only steps on cached embeddings (tests/c/test_trainer_embeddings.c)"
c_test test_trainer_embeddings failures -lm

step "checkpoint saves killed with SIGKILL (tests/c/test_trainer_kill.c)"
c_test test_trainer_kill all

step "an application built against the 0.1.0 header (tests/c/compat)"
# tests/c/compat/0.1.0/mobilenet.h is the header of the 0.1.0 release; where
# the git history is at hand, check it is exactly that.
if git -C "$root" cat-file -e 669471f:include/mobilenet.h 2>/dev/null; then
    if git -C "$root" show 669471f:include/mobilenet.h | cmp -s - "$here/compat/0.1.0/mobilenet.h"; then
        pass "compat/0.1.0/mobilenet.h is git 669471f's include/mobilenet.h"
    else
        fail "compat/0.1.0/mobilenet.h differs from git 669471f's include/mobilenet.h"
    fi
fi
# The old header comes first on the include path, so <mobilenet.h> is 0.1.0's.
# shellcheck disable=SC2086
if run_logged "compile test_compat_0_1_0.c against the 0.1.0 header" "$build/compat.log" \
    "$CC" $strict -O1 -g -I"$here/compat/0.1.0" $cflags "$here/compat/test_compat_0_1_0.c" -o "$build/compat" \
    $libs $rpath; then
    "$build/compat" "$model" >"$build/compat.out" 2>&1
    rc=$?
    grep -v '^ ' "$build/compat.out" | sed 's/^/        /' | tail -n 40
    if [ $rc -eq 0 ] && tail -n 1 "$build/compat.out" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
        pass "test_compat_0_1_0: $(tail -n 1 "$build/compat.out")"
    else
        fail "test_compat_0_1_0 (exit $rc)"
    fi
fi

step "no allocation per inference (tests/c/test_no_alloc.c), float32 and int8"
run_args="$root/tests/fixtures/tflite/mobilenet_v1_1.0_224_int8.tflite" c_test test_no_alloc all

step ".tflite files: precision, runs, truncated and corrupted files (tests/c/test_tflite.c)"
tflite="$build/test_tflite"  # run again under valgrind below
run_args="$root/tests/fixtures/tflite" c_test test_tflite failures

step "int8 quantization: options, bad arguments, a real run (tests/c/test_quantize.c)"
quantize="$build/test_quantize"  # run again under valgrind below
run_args="$root/tests/fixtures/tflite" c_test test_quantize failures

step "non-regular files and non-UTF-8 names (tests/c/test_files.c)"
c_test test_files failures

step "a host that used every pthread key (tests/c/test_tsd_keys.c)"
c_test test_tsd_keys failures -lpthread

step "sparse files of 2^40 to 2^63 bytes (tests/c/test_sparse.c)"
c_test test_sparse all

step "hostile headers: time, peak memory, RLIMIT_AS (tests/c/test_memory.c)"
c_test test_memory all

step "fork() after and during 2- and 4-thread runs (tests/c/test_fork.c)"
run_args="$root/tests/corpus/good/alpha_0.0625_res_24.safetensors" c_test test_fork failures -lpthread -lm

step "default thread count follows CPU affinity (tests/c/test_default_threads.c)"
c_test test_default_threads all
if command -v taskset >/dev/null; then
    run_prefix="taskset -c 0" run_args=1 c_test test_default_threads all
else
    echo "  (taskset not installed: the taskset -c 0 run skipped)"
fi

step "example (examples/c/classify.c)"
classify="$build/classify"
images="$root/examples/images"
stb_ok=1
if ! echo '#include <stb/stb_image.h>' | "$CC" -E -x c - >/dev/null 2>&1; then
    fail "stb_image not found: apt-get install -y libstb-dev"
    stb_ok=0
fi
if [ $stb_ok -eq 1 ]; then
    # shellcheck disable=SC2086
    if run_logged "compile classify.c ($strict)" "$build/classify.log" \
        "$CC" $strict -O2 -g $cflags "$root/examples/c/classify.c" -o "$classify" $libs -lstb $rpath; then
        # cat.jpg: the top class must be one of ImageNet's domestic cats
        # (1001-class indices 282..286: tabby, tiger, Persian, Siamese, Egyptian).
        if [ -f "$images/cat.jpg" ]; then
            if run_logged "classify cat.jpg" "$build/cat.out" "$classify" "$images/cat.jpg" "$model"; then
                sed 's/^/        /' "$build/cat.out"
                top=$(sed -n '2p' "$build/cat.out")
                index=$(echo "$top" | sed -n 's/.*\[\([0-9]*\)\]$/\1/p')
                if [ -n "$index" ] && [ "$index" -ge 282 ] && [ "$index" -le 286 ] && echo "$top" | grep -qi cat; then
                    pass "cat.jpg: top class is a cat ($(echo "$top" | sed 's/^ *//'))"
                else
                    fail "cat.jpg: top class is not a cat: $top"
                fi
                if [ "$(grep -c '^  [0-9]\.' "$build/cat.out")" -eq 5 ]; then pass "five predictions"; else fail "not five predictions"; fi
            fi
        else
            fail "$images/cat.jpg missing"
        fi
        if [ -f "$images/coffee.png" ]; then
            if run_logged "classify coffee.png (TOP_K 3)" "$build/coffee.out" "$classify" "$images/coffee.png" "$model" 3; then
                sed 's/^/        /' "$build/coffee.out"
                top=$(sed -n '2p' "$build/coffee.out")
                if echo "$top" | grep -Eqi 'espresso|cup|coffee'; then pass "coffee.png: $(echo "$top" | sed 's/^ *//')"
                else fail "coffee.png: top class is not coffee-like: $top"; fi
                if [ "$(grep -c '^  [0-9]\.' "$build/coffee.out")" -eq 3 ]; then pass "TOP_K 3 gives three predictions"; else fail "TOP_K 3 did not give three predictions"; fi
            fi
        else
            fail "$images/coffee.png missing"
        fi
        # The model from $MOBILENET_MODEL and from the default relative path.
        if [ -f "$images/cat.jpg" ] && [ -f "$model" ]; then
            if MOBILENET_MODEL="$model" "$classify" "$images/cat.jpg" >"$build/env.out" 2>&1 \
                && diff -q "$build/env.out" "$build/cat.out" >/dev/null; then
                pass "MOBILENET_MODEL is the default model"
            else
                fail "MOBILENET_MODEL not used as the default model"; sed 's/^/        /' "$build/env.out"
            fi
            mkdir -p "$build/cwd/models"
            ln -sf "$model" "$build/cwd/models/mobilenet_v1_1.0_224.safetensors"
            if (cd "$build/cwd" && env -u MOBILENET_MODEL "$classify" "$images/cat.jpg") >"$build/cwd.out" 2>&1 \
                && diff -q "$build/cwd.out" "$build/cat.out" >/dev/null; then
                pass "default model models/mobilenet_v1_1.0_224.safetensors in the current directory"
            else
                fail "default relative model path not used"; sed 's/^/        /' "$build/cwd.out"
            fi
        fi
        # Error exits: 2 usage, 3 image, 4 model; message on stderr, nothing on stdout.
        expect_exit() {
            local want=$1 name=$2
            shift 2
            "$@" >"$build/err.out" 2>"$build/err.err"
            local rc=$?
            if [ $rc -eq "$want" ] && [ -s "$build/err.err" ] && [ ! -s "$build/err.out" ]; then
                pass "$name: exit $rc, $(head -n 1 "$build/err.err")"
            else
                fail "$name: exit $rc (expected $want), stderr: $(head -n 2 "$build/err.err"), stdout: $(head -n 2 "$build/err.out")"
            fi
        }
        expect_exit 2 "no arguments" "$classify"
        expect_exit 2 "too many arguments" "$classify" a b 5 extra
        expect_exit 2 "TOP_K 0" "$classify" "$images/cat.jpg" "$model" 0
        expect_exit 2 "TOP_K abc" "$classify" "$images/cat.jpg" "$model" abc
        expect_exit 2 "TOP_K 5x" "$classify" "$images/cat.jpg" "$model" 5x
        expect_exit 2 "TOP_K 1002 > classes" "$classify" "$images/cat.jpg" "$model" 1002
        expect_exit 3 "missing image" "$classify" "$build/no-such-image.jpg" "$model"
        if grep -q "no-such-image.jpg: No such file or directory$" "$build/err.err"; then pass "missing image: the system's reason"; else fail "missing image: no strerror reason: $(cat "$build/err.err")"; fi
        mkdir -p "$build/a-directory"
        expect_exit 3 "a directory as the image" "$classify" "$build/a-directory" "$model"
        if grep -q "a-directory: Is a directory$" "$build/err.err"; then pass "a directory: the system's reason"; else fail "a directory: no strerror reason: $(cat "$build/err.err")"; fi
        printf 'not an image' >"$build/not-an-image.jpg"
        expect_exit 3 "not an image" "$classify" "$build/not-an-image.jpg" "$model"
        if [ -f "$images/cat.jpg" ]; then
            expect_exit 4 "missing model" "$classify" "$images/cat.jpg" "$build/no-such-model.safetensors"
            expect_exit 4 "not a model" "$classify" "$images/cat.jpg" "$build/not-an-image.jpg"
            expect_exit 4 "no default model here" env -u MOBILENET_MODEL sh -c "cd '$build' && exec '$classify' '$images/cat.jpg'"
        fi
        if "$classify" --help >"$build/help.out" 2>&1 && grep -q usage "$build/help.out"; then pass "--help: exit 0"; else fail "--help"; fi
    fi
fi

step "library file names, SONAME, NEEDED (readelf)"
major=$(sed -n 's/^#define MOBILENET_VERSION_MAJOR \([0-9]*\)$/\1/p' "$prefix/include/mobilenet.h")
soname="libmobilenet.so.$major"
realname="libmobilenet.so.$header_version"
if [ -z "$major" ]; then
    fail "no MOBILENET_VERSION_MAJOR in the header"
elif ! command -v readelf >/dev/null; then
    fail "readelf is not installed (binutils)"
else
    if [ -f "$prefix/lib/$realname" ] && [ ! -L "$prefix/lib/$realname" ]; then pass "lib/$realname is the file"; else fail "lib/$realname is not a regular file"; fi
    if [ "$(readlink "$prefix/lib/$soname")" = "$realname" ]; then pass "lib/$soname -> $realname"; else fail "lib/$soname -> '$(readlink "$prefix/lib/$soname")', expected $realname"; fi
    link=$(readlink "$prefix/lib/libmobilenet.so")
    if [ -L "$prefix/lib/libmobilenet.so" ] && { [ "$link" = "$soname" ] || [ "$link" = "$realname" ]; }; then
        pass "lib/libmobilenet.so -> $link"
    else
        fail "lib/libmobilenet.so is not a symlink to $soname: '$link'"
    fi
    actual=$(readelf -d "$prefix/lib/$realname" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
    if [ "$actual" = "$soname" ]; then pass "SONAME $actual"; else fail "SONAME '$actual', expected $soname"; fi
    # Any program linked with -lmobilenet: the header test above.
    linked="$build/header_c_1"
    if [ -x "$linked" ]; then
        needed=$(readelf -d "$linked" | sed -n 's/.*(NEEDED).*\[\(libmobilenet[^]]*\)\]$/\1/p')
        if [ "$needed" = "$soname" ]; then pass "a program linked with -lmobilenet records NEEDED $needed"; else fail "NEEDED '$needed', expected $soname"; fi
    else
        fail "no linked program to inspect ($linked)"
    fi
fi
pc_model=$(pkg-config --variable=model mobilenet)
if [ -n "$pc_model" ] && [ -f "$pc_model" ] && cmp -s "$pc_model" "$root/models/mobilenet_v1_1.0_224.safetensors"; then
    pass "pkg-config --variable=model: $pc_model (the bundled model)"
else
    fail "pkg-config --variable=model '$pc_model' is not the installed bundled model"
fi

step "fine-tuning example (examples/c/finetune.c)"
# Two classes made of the example photos (copies under other names, and a
# file that is not an image, which must be reported and skipped); the model
# it writes must carry the folder names and tell the two photos apart.
finetune="$build/finetune"
if [ $stb_ok -eq 1 ] && [ -f "$images/cat.jpg" ] && [ -f "$images/coffee.png" ]; then
    # shellcheck disable=SC2086
    if run_logged "compile finetune.c ($strict)" "$build/finetune.log" \
        "$CC" $strict -O2 -g $cflags "$root/examples/c/finetune.c" -o "$finetune" $libs -lstb -lm $rpath; then
        data="$build/finetune-data"
        rm -rf "$data"; mkdir -p "$data/cat" "$data/cup"
        for i in 1 2 3; do cp "$images/cat.jpg" "$data/cat/cat$i.jpg"; cp "$images/coffee.png" "$data/cup/cup$i.png"; done
        echo "not an image" > "$data/cup/broken.jpg"
        if run_logged "finetune DATA OUT" "$build/finetune.out" "$finetune" "$data" "$build/two.safetensors" "$model" 20; then
            sed 's/^/        /' "$build/finetune.out"
            if grep -q "skipping .*broken.jpg" "$build/finetune.out"; then pass "the broken file is reported and skipped"
            else fail "broken.jpg was not reported"; fi
            if grep -q "training accuracy 100.0%" "$build/finetune.out"; then pass "the head fits the training images"
            else fail "training accuracy did not reach 100%"; fi
            if [ -x "$classify" ]; then
                top_cat=$("$classify" "$images/cat.jpg" "$build/two.safetensors" 1 2>&1 | sed -n '2p')
                top_cup=$("$classify" "$images/coffee.png" "$build/two.safetensors" 1 2>&1 | sed -n '2p')
                if echo "$top_cat" | grep -q ' cat \[0\]' && echo "$top_cup" | grep -q ' cup \[1\]'; then
                    pass "the written model classifies with its labels: $top_cat / $top_cup"
                else
                    fail "the written model's top classes: '$top_cat' / '$top_cup'"
                fi
            fi
        fi
    fi
fi

step "the README's C program (tests/c/readme_example.sh)"
if "$here/readme_example.sh" "$prefix" >"$build/readme.out" 2>&1; then
    n=$(grep -c '^  ok ' "$build/readme.out")
    pass "README C block and commands: $n checks, top-1 $(sed -n 's/.*top-1 as the README says: //p' "$build/readme.out")"
else
    fail "README C block and commands:"; sed 's/^/    /' "$build/readme.out"
fi

step "valgrind"
if [ -n "${MOBILENET_SKIP_VALGRIND:-}" ]; then
    echo "  (skipped: MOBILENET_SKIP_VALGRIND is set)"
elif ! command -v valgrind >/dev/null; then
    echo "  (valgrind not installed: skipped)"
else
    vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --quiet)
    echo "  ${vg[*]}"
    # vg_run NAME EXE ARGS...: EXE under valgrind in quick mode, its exit status to vg_NAME.rc;
    # vg_check NAME: its last "N passed, N failed" line must say 0 failed.
    vg_run() {
        local name=$1 exe=$2 out="$build/vg_$1.out"
        shift 2
        [ -x "$exe" ] || return 0
        MOBILENET_TEST_QUICK=1 "${vg[@]}" "$exe" "$@" >"$out" 2>&1
        echo $? > "$build/vg_$name.rc"
    }
    vg_check() {
        local name=$1 out="$build/vg_$1.out" rc summary
        [ -f "$build/vg_$name.rc" ] || return 0
        rc=$(cat "$build/vg_$name.rc")
        summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
        if [ $rc -eq 0 ] && echo "$summary" | grep -Eq ' 0 failed$'; then
            pass "valgrind $name: $summary, no errors, no definite leaks"
        else
            fail "valgrind $name (exit $rc; 99 = valgrind errors): $summary"
            grep -v '^   ' "$out" | tail -n 80 | sed 's/^/        /'
        fi
    }
    echo "  valgrind: test_api (MOBILENET_TEST_QUICK=1), this takes a few minutes"
    rm -f "$build"/vg_*.rc
    # test_api (about 310 s under valgrind on Zen 4) on one core while the
    # rest (about 75 s) run on the other: valgrind runs one thread at a time.
    vg_run test_api "$api" "$model" &
    vg_api=$!
    vg_run test_tflite "$tflite" "$model" "$root/tests/fixtures/tflite"
    vg_run test_quantize "$quantize" "$model" "$root/tests/fixtures/tflite"
    if [ -x "$classify" ] && [ -f "$images/cat.jpg" ]; then
        run_logged "valgrind classify cat.jpg" "$build/vg_cat.out" "${vg[@]}" "$classify" "$images/cat.jpg" "$model"
        "${vg[@]}" "$classify" "$build/no-such-image.jpg" "$model" >"$build/vg_err.out" 2>&1
        rc=$?
        if [ $rc -eq 3 ]; then pass "valgrind classify, missing image: exit 3, clean"; else fail "valgrind classify, missing image: exit $rc"; sed 's/^/        /' "$build/vg_err.out" | tail -n 30; fi
        "${vg[@]}" "$classify" "$images/cat.jpg" "$build/no-such-model.safetensors" >"$build/vg_err.out" 2>&1
        rc=$?
        if [ $rc -eq 4 ]; then pass "valgrind classify, missing model: exit 4, clean"; else fail "valgrind classify, missing model: exit $rc"; sed 's/^/        /' "$build/vg_err.out" | tail -n 30; fi
    fi
    wait "$vg_api"
    vg_check test_api
    vg_check test_tflite
    vg_check test_quantize
fi

echo
echo "C tests: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
