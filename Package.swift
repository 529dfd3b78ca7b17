// swift-tools-version:6.0
import Foundation
import PackageDescription

// The kernels are compiled for a target CPU: without one, SIMD fused multiply-adds
// become per-lane libm calls. MOBILENET_PORTABLE=1 builds for the baseline ISA.
let portable = ProcessInfo.processInfo.environment["MOBILENET_PORTABLE"] == "1"
#if arch(x86_64)
let targetCPU: [String] = portable ? [] : ["-target-cpu", "haswell"]  // AVX2 + FMA
#else
let targetCPU: [String] = []  // arm64: NEON is baseline
#endif

// Kernels run unchecked and always optimized (also in debug builds, so the tests
// run at speed); everything that validates input stays checked.
let kernelFlags: [String] = ["-Ounchecked", "-enforce-exclusivity=unchecked"] + targetCPU

let package = Package(
    name: "libmobilenet",
    products: [
        .library(name: "mobilenet", type: .dynamic, targets: ["MobileNetCABI"]),
        .executable(name: "mobilenet-cli", targets: ["MobileNetCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Core layer: pure Swift, no Foundation, no C types in its interface.
        .target(
            name: "MobileNetKernels",
            path: "Sources/Core/Kernels",
            swiftSettings: [.unsafeFlags(kernelFlags)] + (targetCPU.isEmpty ? [] : [.define("MOBILENET_KERNELS_AVX2_FMA")])
        ),
        .target(
            name: "MobileNet",
            dependencies: ["MobileNetKernels"],
            path: "Sources/Core/MobileNet"
        ),
        // C ABI layer: @_cdecl wrappers only; built into libmobilenet.so.
        .systemLibrary(name: "CMobileNetHeader", path: "Sources/CABI/CMobileNetHeader"),
        .target(
            name: "MobileNetCABI",
            dependencies: ["MobileNet", "CMobileNetHeader"],
            path: "Sources/CABI/MobileNetCABI",
            linkerSettings: [
                // Export only the header's functions (see the map file).
                .unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/CABI/libmobilenet.map"]),
                // The Swift runtime goes inside libmobilenet.so: C users need no toolchain.
                .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
                // The SONAME programs record as NEEDED; make install adds the symlinks.
                .unsafeFlags(["-Xlinker", "-soname=libmobilenet.so.0"]),
            ]
        ),
        // CLI layer.
        .systemLibrary(name: "CStbImage", path: "Sources/CLI/CStbImage"),
        .executableTarget(
            name: "MobileNetCLI",
            dependencies: [
                "MobileNet", "CStbImage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI/mobilenet-cli",
            linkerSettings: [
                // Like libmobilenet.so: the installed CLI needs no Swift toolchain at run time.
                .unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
                // The static FoundationEssentials (ArgumentParser's) needs these two; a
                // dynamic build gets them as its shared library's dependencies.
                .linkedLibrary("_FoundationCollections", .when(platforms: [.linux], configuration: .release)),
                .linkedLibrary("_FoundationCShims", .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        .testTarget(
            name: "KernelsTests",
            dependencies: ["MobileNetKernels"],
            path: "Tests/Core/KernelsTests"
        ),
        .testTarget(
            name: "MobileNetTests",
            dependencies: ["MobileNet", "MobileNetKernels"],
            path: "Tests/Core/MobileNetTests"
        ),
        .testTarget(
            name: "CABITests",
            dependencies: ["MobileNetCABI", "CMobileNetHeader"],
            path: "Tests/CABITests"
        ),
    ],
    swiftLanguageModes: [.v5]
)
