#!/usr/bin/env bash
# Builds the libFuzzer targets into .build-fuzz/ (gitignored):
#   .build-fuzz/fuzz_load   model files -> mobilenet_model_load_memory
#   .build-fuzz/fuzz_args   hostile arguments to every C ABI function
#   .build-fuzz/fuzz_load_path  model files -> mobilenet_model_load, with a
#                           fuzzed (sparse) file size up to 2^63 - 1
# from the library's own sources, compiled with swiftc directly:
#   Sources/Core/Kernels            -> module MobileNetKernels (-Ounchecked, as in Package.swift)
#   Sources/Core/MobileNet          -> module MobileNet (-O, checked)
#   Sources/CABI/MobileNetCABI      -> module MobileNetCABI (imports the header via CMobileNetHeader)
# all with -sanitize=fuzzer,address (coverage + AddressSanitizer), then each
# harness (tests/fuzz/fuzz_*.swift + FuzzSupport.swift, which call the C
# functions declared in include/mobilenet.h) is linked with them and libFuzzer.
# Also writes the fixed model fuzz_args uses (tools/make_random_model.py).
#
#   tests/fuzz/build.sh [--force]
# Environment: SWIFTC (default swiftc), BUILD_DIR (default .build-fuzz),
# SANITIZE (default fuzzer,address), SANITIZE_KERNELS (default address),
# MOBILENET_PORTABLE=1 (no -target-cpu).
# The library objects are rebuilt only when its sources or the flags change.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
swiftc=${SWIFTC:-swiftc}
out=${BUILD_DIR:-$root/.build-fuzz}
sanitize=${SANITIZE:-fuzzer,address}
mkdir -p "$out/obj"

target_cpu=()
if [ "$(uname -m)" = x86_64 ] && [ "${MOBILENET_PORTABLE:-0}" != 1 ]; then
    target_cpu=(-target-cpu haswell)
fi
# The kernels get AddressSanitizer but no coverage instrumentation: their
# branches depend on sizes only, and tracing comparisons in their inner loops
# would cost more executions per second than it finds.
kernel_sanitize=${SANITIZE_KERNELS:-address}
common=(-swift-version 5 -parse-as-library -wmo -g -I "$out/obj")

mapfile -t kernels < <(find Sources/Core/Kernels -name '*.swift' | sort)
mapfile -t core < <(find Sources/Core/MobileNet -name '*.swift' | sort)
mapfile -t cabi < <(find Sources/CABI/MobileNetCABI -name '*.swift' | sort)

# Rebuild the library objects when a source, the header or a flag changed.
stamp=$(cat "${kernels[@]}" "${core[@]}" "${cabi[@]}" include/mobilenet.h \
            Sources/CABI/CMobileNetHeader/module.modulemap | sha256sum | cut -c1-16)
stamp="$stamp $sanitize ${SANITIZE_KERNELS:-address} ${target_cpu[*]:-} $($swiftc --version 2>&1 | head -1)"
if [ "${1:-}" = --force ] || [ ! -f "$out/obj/stamp" ] || [ "$(cat "$out/obj/stamp")" != "$stamp" ]; then
    rm -f "$out/obj/stamp"
    echo "== fuzz build: MobileNetKernels (-Ounchecked)"
    "$swiftc" "${common[@]}" -sanitize="$kernel_sanitize" -module-name MobileNetKernels -Ounchecked -enforce-exclusivity=unchecked \
        "${target_cpu[@]}" -emit-module -emit-module-path "$out/obj/MobileNetKernels.swiftmodule" \
        -c "${kernels[@]}" -o "$out/obj/MobileNetKernels.o"
    echo "== fuzz build: MobileNet (-O)"
    "$swiftc" "${common[@]}" -sanitize="$sanitize" -module-name MobileNet -O \
        -emit-module -emit-module-path "$out/obj/MobileNet.swiftmodule" \
        -c "${core[@]}" -o "$out/obj/MobileNet.o"
    echo "== fuzz build: MobileNetCABI (-O)"
    "$swiftc" "${common[@]}" -sanitize="$sanitize" -module-name MobileNetCABI -O -I Sources/CABI/CMobileNetHeader \
        -emit-module -emit-module-path "$out/obj/MobileNetCABI.swiftmodule" \
        -c "${cabi[@]}" -o "$out/obj/MobileNetCABI.o"
    echo "$stamp" > "$out/obj/stamp"
fi

for target in load args load_path; do
    echo "== fuzz build: fuzz_$target"
    "$swiftc" "${common[@]}" -sanitize="$sanitize" -module-name "Fuzz_$target" -O -I Sources/CABI/CMobileNetHeader \
        "tests/fuzz/fuzz_$target.swift" tests/fuzz/FuzzSupport.swift \
        "$out/obj/MobileNetKernels.o" "$out/obj/MobileNet.o" "$out/obj/MobileNetCABI.o" \
        -use-ld=lld -o "$out/fuzz_$target"
done

# The fixed models of fuzz_args: alpha 0.25, 32x32, 10 labelled classes, and
# a tiny one (alpha 0.01, 16x16, 7 classes) for its loads with fuzzed options.
if [ ! -f "$out/fuzz_args_model.safetensors" ]; then
    python3 tools/make_random_model.py --alpha 0.25 --resolution 32 --num-classes 10 --labels --seed 11 \
        -o "$out/fuzz_args_model.safetensors"
fi
if [ ! -f "$out/fuzz_args_small_model.safetensors" ]; then
    python3 tools/make_random_model.py --alpha 0.01 --resolution 16 --num-classes 7 --labels --seed 12 \
        -o "$out/fuzz_args_small_model.safetensors"
fi
echo "fuzz targets in $out: fuzz_load fuzz_args fuzz_load_path"
