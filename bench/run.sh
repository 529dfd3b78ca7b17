#!/usr/bin/env bash
# The libmobilenet benchmark: one command. See bench/README.md.
#   bench/run.sh                 all engines, 1 and 2 threads, batch 1 and 8 -> bench/results.md
#   bench/run.sh --profile       per-layer profile of libmobilenet           -> bench/profile.md
#   bench/run.sh --configs       16 (alpha, resolution) configurations       -> bench/configs.md
#   bench/run.sh --max-isa avx2  the same with kernels capped at AVX2 (libmobilenet, OpenVINO)
#                                -> bench/results-avx2.md
#   bench/run.sh --int8 [FILE]   libmobilenet, LiteRT and OpenVINO on one int8 .tflite, plus our
#                                float32 row -> bench/results-int8.md
#   bench/run.sh --train         training steps/s: libmobilenet, TensorFlow, PyTorch (bench/train.py)
#                                -> bench/results-train.md
#   bench/run.sh --help          every option (--rounds, --runs, --engines, --threads, ...)
# Sets up bench/.venv on first use; builds libmobilenet.so (and mobilenet-cli for
# --profile) only if missing, or always with --build.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=bench/.venv
PYTHON=${PYTHON:-python3}
PIP_FLAGS=(-q --disable-pip-version-check)

build=0
profile=0
train=0
args=()
for a in "$@"; do
    case "$a" in
        --build) build=1 ;;
        --train) train=1 ;;
        --profile) profile=1; args+=("$a") ;;
        *) args+=("$a") ;;
    esac
done

# --- bench/.venv ------------------------------------------------------------
stamp=$(cat bench/requirements.txt bench/requirements-peers.txt | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ]; then
    echo "bench: creating $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi
if [ "$(cat "$VENV/bench-stamp" 2>/dev/null)" != "$stamp" ]; then
    echo "bench: installing the engines into $VENV (once; a few minutes)" >&2
    "$VENV/bin/pip" install "${PIP_FLAGS[@]}" -r bench/requirements.txt
    : > "$VENV/bench-skipped.txt"
    while read -r line; do
        line=${line%%#*}
        read -ra words <<< "$line"
        [ ${#words[@]} -gt 0 ] || continue
        log=$(mktemp)
        if ! "$VENV/bin/pip" install "${PIP_FLAGS[@]}" "${words[@]}" >"$log" 2>&1; then
            reason=$(grep -m1 -E '^ERROR' "$log" || tail -n1 "$log")
            reason=${reason%% (from versions*}
            reason=${reason:0:300}
            echo "bench: could not install ${words[0]} (skipped): $reason" >&2
            printf '%s\t%s\n' "${words[0]%%[=<>]*}" "pip install failed: $reason" >> "$VENV/bench-skipped.txt"
        fi
        rm -f "$log"
    done < bench/requirements-peers.txt
    echo "$stamp" > "$VENV/bench-stamp"
fi

# --- libmobilenet -------------------------------------------------------------
if [ "$build" = 1 ] || [ ! -f .build/release/libmobilenet.so ]; then
    echo "bench: building libmobilenet.so" >&2
    if [ "$train" = 1 ]; then
        # the libmobilenet row of --train is optional: TensorFlow and PyTorch still run
        make lib >&2 || echo "bench: make lib failed; --train goes on without libmobilenet" >&2
    else
        make lib >&2
    fi
fi
if [ "$profile" = 1 ] && { [ "$build" = 1 ] || [ ! -x .build/release/mobilenet-cli ]; }; then
    echo "bench: building mobilenet-cli" >&2
    swift build -c release --product mobilenet-cli >&2
fi

if [ "$train" = 1 ]; then
    exec "$VENV/bin/python" bench/train.py ${args[@]+"${args[@]}"}
fi
exec "$VENV/bin/python" bench/bench.py ${args[@]+"${args[@]}"}
