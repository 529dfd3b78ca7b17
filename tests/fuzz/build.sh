#!/usr/bin/env bash
# Builds the libFuzzer targets into .build-fuzz/ (gitignored):
#   .build-fuzz/fuzz_load   model files -> mobilenet_model_load_memory
#   .build-fuzz/fuzz_args   hostile arguments to every C ABI function
#   .build-fuzz/fuzz_load_path  model files -> mobilenet_model_load, with a
#                           fuzzed (sparse) file size up to 2^63 - 1
#   .build-fuzz/fuzz_trainer  files -> mobilenet_trainer_load with fuzzed
#                           train options, then steps, get_tensor, export
#   .build-fuzz/fuzz_tflite  TFLite flatbuffers -> mobilenet_model_load_memory
# from the library's own sources, compiled with swiftc directly:
#   Sources/Core/Kernels/Interface  -> module MobileNetKernelInterface
#   Sources/Core/Kernels/{F32,QS8}/<tier> -> modules MobileNet{F32,QS8}Generic, ...AVX2 (haswell),
#                                      ...AVX512 (cascadelake) (-Ounchecked, as in Package.swift)
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
# The library objects are rebuilt only when its sources or the flags change.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
swiftc=${SWIFTC:-swiftc}
out=${BUILD_DIR:-$root/.build-fuzz}
sanitize=${SANITIZE:-fuzzer,address}
mkdir -p "$out/obj"

# Tier modules: NAME FOLDER TARGET-CPU FMA (as in Package.swift).
if [ "$(uname -m)" = x86_64 ]; then
    tiers=("MobileNetF32Generic F32/Generic - no" "MobileNetF32AVX2 F32/AVX2 haswell yes"
           "MobileNetF32AVX512 F32/AVX512 cascadelake yes"
           "MobileNetQS8Generic QS8/Generic - no" "MobileNetQS8AVX2 QS8/AVX2 haswell yes"
           "MobileNetQS8AVX512 QS8/AVX512 cascadelake yes")
else
    tiers=("MobileNetF32Generic F32/Generic - yes" "MobileNetQS8Generic QS8/Generic - yes")
fi
# The kernels get AddressSanitizer but no coverage instrumentation: their
# branches depend on sizes only, and tracing comparisons in their inner loops
# would cost more executions per second than it finds.
kernel_sanitize=${SANITIZE_KERNELS:-address}
common=(-swift-version 5 -parse-as-library -wmo -g -I "$out/obj" -I Sources/Core/Kernels/CPUFeatures)

mapfile -t kernels < <(find -L Sources/Core/Kernels -name '*.swift' | sort)
mapfile -t core < <(find Sources/Core/MobileNet -name '*.swift' | sort)
mapfile -t cabi < <(find Sources/CABI/MobileNetCABI -name '*.swift' | sort)

# Rebuild the library objects when a source, the header or a flag changed.
stamp=$(cat "${kernels[@]}" "${core[@]}" "${cabi[@]}" include/mobilenet.h \
            Sources/CABI/CMobileNetHeader/module.modulemap | sha256sum | cut -c1-16)
stamp="$stamp $sanitize ${SANITIZE_KERNELS:-address} ${tiers[*]} $($swiftc --version 2>&1 | head -1)"
if [ "${1:-}" = --force ] || [ ! -f "$out/obj/stamp" ] || [ "$(cat "$out/obj/stamp")" != "$stamp" ]; then
    rm -f "$out/obj/stamp"
    echo "== fuzz build: MobileNetKernelInterface"
    "$swiftc" "${common[@]}" -sanitize="$kernel_sanitize" -module-name MobileNetKernelInterface -O \
        -emit-module -emit-module-path "$out/obj/MobileNetKernelInterface.swiftmodule" \
        -c Sources/Core/Kernels/Interface/*.swift -o "$out/obj/MobileNetKernelInterface.o"
    for tier in "${tiers[@]}"; do
        read -r name folder cpu fma <<< "$tier"
        flags=()
        [ "$cpu" != - ] && flags+=(-target-cpu "$cpu")
        [ "$fma" = yes ] && flags+=(-D MOBILENET_FMA)
        echo "== fuzz build: $name (-Ounchecked${cpu:+, $cpu})"
        "$swiftc" "${common[@]}" -sanitize="$kernel_sanitize" -module-name "$name" -Ounchecked \
            -enforce-exclusivity=unchecked "${flags[@]}" -emit-module -emit-module-path "$out/obj/$name.swiftmodule" \
            -c Sources/Core/Kernels/"$folder"/*.swift -o "$out/obj/$name.o"
    done
    echo "== fuzz build: MobileNet (-O)"
    "$swiftc" "${common[@]}" -sanitize="$sanitize" -module-name MobileNet -O -I Sources/Core/Kernels/CPUFeatures \
        -emit-module -emit-module-path "$out/obj/MobileNet.swiftmodule" \
        -c "${core[@]}" -o "$out/obj/MobileNet.o"
    echo "== fuzz build: MobileNetCABI (-O)"
    "$swiftc" "${common[@]}" -sanitize="$sanitize" -module-name MobileNetCABI -O -I Sources/CABI/CMobileNetHeader \
        -emit-module -emit-module-path "$out/obj/MobileNetCABI.swiftmodule" \
        -c "${cabi[@]}" -o "$out/obj/MobileNetCABI.o"
    echo "$stamp" > "$out/obj/stamp"
fi

tier_objects=()
for tier in "${tiers[@]}"; do read -r name _ <<< "$tier"; tier_objects+=("$out/obj/$name.o"); done
for target in load args load_path trainer tflite; do
    echo "== fuzz build: fuzz_$target"
    "$swiftc" "${common[@]}" -sanitize="$sanitize" -module-name "Fuzz_$target" -O -I Sources/CABI/CMobileNetHeader \
        "tests/fuzz/fuzz_$target.swift" tests/fuzz/FuzzSupport.swift \
        "$out/obj/MobileNetKernelInterface.o" "${tier_objects[@]}" "$out/obj/MobileNet.o" "$out/obj/MobileNetCABI.o" \
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
echo "fuzz targets in $out: fuzz_load fuzz_args fuzz_load_path fuzz_trainer fuzz_tflite"
