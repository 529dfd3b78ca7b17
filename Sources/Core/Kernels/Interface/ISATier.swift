/// An instruction-set tier: one module of kernels compiled for one target
/// CPU. Ordered from the most portable to the fastest, so "the best tier at
/// most X" is a comparison.
public enum ISATier: Int, Comparable, CaseIterable, Sendable {
    /// x86-64: SSE2 only, no FMA (any x86-64 CPU); arm64: NEON, which is baseline there.
    case generic = 0
    /// AVX2 + FMA (x86-64-v3: Intel since Haswell, 2013; AMD since 2015).
    case avx2 = 1
    /// AVX-512 F/BW/DQ/VL/VNNI (-target-cpu cascadelake: Intel Cascade Lake
    /// and later, AMD Zen 4 and later).
    case avx512 = 2

    /// The name in MOBILENET_MAX_ISA, the C API and the CLI.
    public var name: String {
        switch self {
        case .generic:
            #if arch(arm64)
            return "neon"
            #else
            return "generic"
            #endif
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        }
    }

    public init?(name: String) {
        #if arch(arm64)
        if name == "neon" { self = .generic; return }
        #endif
        guard let tier = ISATier.allCases.first(where: { $0.name == name || ($0 == .generic && name == "generic") })
        else { return nil }
        self = tier
    }

    public static func < (a: ISATier, b: ISATier) -> Bool { a.rawValue < b.rawValue }
}
