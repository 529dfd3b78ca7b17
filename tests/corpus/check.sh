#!/usr/bin/env bash
# Corpus regression check: compiles tests/corpus/check_corpus.c against a
# header and a libmobilenet.so and runs it over tests/corpus (see that file).
#
#   tests/corpus/check.sh [LIBDIR [INCDIR [-v]]]   defaults: .build/release include
#
# Environment: CC (default cc), CHECK_CFLAGS, CHECK_LDFLAGS (e.g.
# -fsanitize=address); RUNNER, a command prefix for the test binary (e.g.
# "valgrind --error-exitcode=99"); BUILD_DIR (default .build-corpus).
# Exit status: the checker's (0 = all passed). Last line: "N passed, N failed".
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
libdir=$(cd "${1:-$root/.build/release}" && pwd)
incdir=$(cd "${2:-$root/include}" && pwd)
shift $(( $# < 2 ? $# : 2 ))
build=${BUILD_DIR:-$root/.build-corpus}
mkdir -p "$build"
[ -f "$libdir/libmobilenet.so" ] || { echo "no libmobilenet.so in $libdir (run: make lib)" >&2; exit 2; }
# shellcheck disable=SC2086
${CC:-cc} -std=c99 -O1 -g -Wall -Wextra -Werror ${CHECK_CFLAGS:-} -I "$incdir" "$root/tests/corpus/check_corpus.c" \
    -L "$libdir" -lmobilenet -Wl,-rpath,"$libdir" -lm ${CHECK_LDFLAGS:-} -o "$build/check_corpus"
exec ${RUNNER:-} "$build/check_corpus" "$root/tests/corpus" "$@"
