// swift-tools-version:6.0
import PackageDescription

// Kernels by data type and ISA tier (Sources/Core/Kernels/<type>/<tier>), each
// tier a module with its own target CPU: Swift compiles one target CPU per
// module, and AVX-512 code built for another CPU crashes the compiler
// (shared notes). All tiers go into one libmobilenet.so; the runtime picks
// the best the CPU and OS support at load (KernelSelection), capped by
// MOBILENET_MAX_ISA. Kernels run unchecked and always optimized (also in
// debug builds, so the tests run at speed); everything that validates input
// stays checked. Without FMA in the target, SIMD multiply-adds become libm
// calls, so MOBILENET_FMA tells the shared SIMD8 code whether to use them.
let unchecked: [String] = ["-Ounchecked", "-enforce-exclusivity=unchecked"]

func kernelTier(_ name: String, _ folder: String, targetCPU: String?, fma: Bool, avx512: Bool = false) -> Target {
    .target(
        name: name,
        dependencies: ["MobileNetKernelInterface"],
        path: "Sources/Core/Kernels/" + folder,
        swiftSettings: [.unsafeFlags(unchecked + (targetCPU.map { ["-target-cpu", $0] } ?? []))]
            + (fma ? [.define("MOBILENET_FMA")] : [])
            + (avx512 ? [.define("MOBILENET_AVX512")] : [])
    )
}

#if arch(x86_64)
let tierTargets: [Target] = [
    kernelTier("MobileNetF32Generic", "F32/Generic", targetCPU: nil, fma: false),   // SSE2
    kernelTier("MobileNetF32AVX2", "F32/AVX2", targetCPU: "haswell", fma: true),    // AVX2 + FMA
    kernelTier("MobileNetF32AVX512", "F32/AVX512", targetCPU: "cascadelake", fma: true, avx512: true),  // AVX-512 + VNNI
    kernelTier("MobileNetQS8Generic", "QS8/Generic", targetCPU: nil, fma: false),
    kernelTier("MobileNetQS8AVX2", "QS8/AVX2", targetCPU: "haswell", fma: true),
    kernelTier("MobileNetQS8AVX512", "QS8/AVX512", targetCPU: "cascadelake", fma: true),
    .systemLibrary(name: "CPUFeatureProbe", path: "Sources/Core/Kernels/CPUFeatures"),
]
#else
let tierTargets: [Target] = [
    kernelTier("MobileNetF32Generic", "F32/Generic", targetCPU: nil, fma: true),    // arm64: NEON, FMA baseline
    kernelTier("MobileNetQS8Generic", "QS8/Generic", targetCPU: nil, fma: true),
]
#endif
let tierNames: [Target.Dependency] = tierTargets.map { .target(name: $0.name) }

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
            name: "MobileNetKernelInterface",
            path: "Sources/Core/Kernels/Interface"
        ),
    ] + tierTargets + [
        .target(
            name: "MobileNet",
            dependencies: ["MobileNetKernelInterface"] + tierNames,
            path: "Sources/Core/MobileNet"
        ),
        // C ABI layer: @_cdecl wrappers only; built into libmobilenet.so.
        .systemLibrary(name: "CMobileNetHeader", path: "Sources/CABI/CMobileNetHeader"),
        .target(
            name: "MobileNetCABI",
            dependencies: ["MobileNet", "MobileNetKernelInterface", "CMobileNetHeader"],
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
            dependencies: ["MobileNet", "MobileNetKernelInterface"] + tierNames,
            path: "Tests/Core/KernelsTests"
        ),
        .testTarget(
            name: "MobileNetTests",
            dependencies: ["MobileNet", "MobileNetKernelInterface"],
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
