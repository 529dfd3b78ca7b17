#!/usr/bin/env bash
# tests/c/readme_example.sh PREFIX -- the README's complete C program, exactly
# as a newcomer pastes it: the ```c block after <!-- readme-c-example ... -->
# saved as classify_photo.c, and the ```sh block after
# <!-- readme-c-example-commands --> run as written, against the install in
# PREFIX. The commands name $HOME/.local, so HOME is a scratch directory whose
# .local is PREFIX. The program must print the README's first line of output
# ("Egyptian cat" on examples/images/cat.jpg). It is also compiled with
# -Werror -pedantic to keep it warning-free. Also bindings/c/README.md's
# minimal program (the block after <!-- bindings-c-minimal-program: ... -->).
# Exits non-zero on any failure.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
prefix=$(cd "$1" 2>/dev/null && pwd) || { echo "readme_example.sh: no such directory: $1" >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
readme="$root/README.md"
failures=0
pass() { echo "  ok    $*"; }
fail() { failures=$((failures + 1)); echo "  FAIL  $*"; }
indent() { sed 's/^/        /'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mobilenet-readme-c.XXXXXX")
trap 'rm -rf "$work"' EXIT

# fenced_block MARKER LANG [FILE]: the body of the ```LANG fence right after the
# line starting with MARKER in FILE (default README.md).
fenced_block() {
    awk -v marker="$1" -v fence="\`\`\`$2" '
        index($0, marker) == 1 { armed = 1; next }
        armed == 1 && !inside { if ($0 == fence) { inside = 1; next } else { exit 1 } }
        inside && $0 == "```" { found = 1; exit }
        inside { print }
        END { if (!found) exit 1 }' "${3:-$readme}"
}

mkdir -p "$work/home" "$work/project/examples/images"
if fenced_block "<!-- readme-c-example:" c >"$work/project/classify_photo.c" && [ -s "$work/project/classify_photo.c" ]; then
    pass "README C block: $(wc -l <"$work/project/classify_photo.c") lines"
else
    fail "no \`\`\`c block right after <!-- readme-c-example: in README.md"; exit 1
fi
if fenced_block "<!-- readme-c-example-commands -->" sh >"$work/commands.sh" && [ -s "$work/commands.sh" ]; then
    pass "README commands:"; indent <"$work/commands.sh"
else
    fail "no \`\`\`sh block right after <!-- readme-c-example-commands --> in README.md"; exit 1
fi
expected=$(awk '/<!-- readme-c-example-commands -->/ { armed = 1 } armed && /^prints$/ { getline; getline; print; exit }' "$readme" \
    | sed 's/^ *//')
if [ -n "$expected" ]; then pass "README's expected first line: $expected"; else fail "no expected output ('prints') after the commands"; fi

# The commands as written, from a copy of the repository's photo directory.
ln -s "$prefix" "$work/home/.local"
cp "$root/examples/images/cat.jpg" "$work/project/examples/images/"
(cd "$work/project" && env -u PKG_CONFIG_PATH HOME="$work/home" bash -e "$work/commands.sh") >"$work/run.out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then pass "commands ran (exit 0):"; indent <"$work/run.out"; else fail "commands failed (exit $rc):"; indent <"$work/run.out"; fi
if grep -qi "warning" "$work/run.out"; then fail "the README's cc command prints warnings"; else pass "no compiler warnings"; fi
first=$(grep -m 1 '%  ' "$work/run.out" | sed 's/^ *//')
if [ -n "$expected" ] && [ "$first" = "$expected" ]; then
    pass "top-1 as the README says: $first"
else
    fail "top-1 '$first', README says '$expected'"
fi
if echo "$first" | grep -q '%  Egyptian cat$'; then pass "cat.jpg: Egyptian cat"; else fail "cat.jpg top-1 is not Egyptian cat: $first"; fi
if [ -x "$work/project/classify_photo" ] && readelf -d "$work/project/classify_photo" | grep -q "NEEDED.*\[libmobilenet.so.0\]"; then
    pass "classify_photo records NEEDED libmobilenet.so.0"
else
    fail "classify_photo does not record NEEDED libmobilenet.so.0"
fi

# Error paths of the program: usage, unreadable image, unloadable model.
bin="$work/project/classify_photo"
if [ -x "$bin" ]; then
    model="$prefix/share/mobilenet/mobilenet_v1_1.0_224.safetensors"
    "$bin" >/dev/null 2>&1; rc=$?
    if [ $rc -eq 2 ]; then pass "no arguments: exit 2"; else fail "no arguments: exit $rc"; fi
    "$bin" "$model" "$work/missing.jpg" >/dev/null 2>"$work/err"; rc=$?
    if [ $rc -eq 1 ] && grep -q "missing.jpg: " "$work/err"; then pass "missing image: exit 1, $(cat "$work/err")"; else fail "missing image: exit $rc"; fi
    "$bin" "$work/missing.safetensors" "$work/project/examples/images/cat.jpg" >/dev/null 2>"$work/err"; rc=$?
    if [ $rc -eq 1 ] && grep -q "missing.safetensors: " "$work/err"; then pass "missing model: exit 1, $(cat "$work/err")"; else fail "missing model: exit $rc"; fi
fi

# Warning-free as C99 (stb_image's own code is a system header's).
if cc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only \
    $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags mobilenet) "$work/project/classify_photo.c" >"$work/strict.log" 2>&1; then
    pass "compiles with -std=c99 -Wall -Wextra -Werror -pedantic"
else
    fail "warnings with -Werror -pedantic:"; indent <"$work/strict.log"
fi

# bindings/c/README.md's minimal program, run on the installed model.
minimal="$work/minimal"
if fenced_block "<!-- bindings-c-minimal-program:" c "$root/bindings/c/README.md" >"$minimal.c" && [ -s "$minimal.c" ]; then
    if cc -std=c99 -Wall -Wextra -Werror -pedantic "$minimal.c" -o "$minimal" \
        $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs mobilenet) -Wl,-rpath,"$prefix/lib" >"$work/minimal.log" 2>&1 \
        && "$minimal" "$prefix/share/mobilenet/mobilenet_v1_1.0_224.safetensors" >"$work/minimal.out" 2>&1 \
        && grep -q "^1001 classes, library " "$work/minimal.out"; then
        pass "bindings/c/README.md minimal program: $(cat "$work/minimal.out")"
    else
        fail "bindings/c/README.md minimal program:"; cat "$work/minimal.log" "$work/minimal.out" 2>/dev/null | indent
    fi
else
    fail "no \`\`\`c block right after <!-- bindings-c-minimal-program: in bindings/c/README.md"
fi

[ "$failures" -eq 0 ]
