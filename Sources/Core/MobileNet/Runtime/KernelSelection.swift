#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MobileNetKernelInterface
import MobileNetF32Generic
import MobileNetQS8Generic
#if arch(x86_64)
import MobileNetF32AVX2
import MobileNetF32AVX512
import MobileNetQS8AVX2
import MobileNetQS8AVX512
#endif

/// The one place that picks the float32 kernels: the best tier the CPU and
/// OS support (CPUSupport), capped by MOBILENET_MAX_ISA (like oneDNN's
/// ONEDNN_MAX_CPU_ISA: for tests, for benchmarks against capped peers, for
/// odd virtual machines). Read at every model load, so a process can load
/// models on several tiers.
public enum KernelSelection {
    public static let environmentVariable = "MOBILENET_MAX_ISA"

    /// The tiers this build carries, most portable first.
    public static var builtTiers: [ISATier] {
        #if arch(x86_64)
        return [.generic, .avx2, .avx512]
        #else
        return [.generic]
        #endif
    }

    /// The tiers this machine can run (every built tier up to the CPU's best).
    public static var supportedTiers: [ISATier] {
        let best = CPUSupport.current().bestTier
        return builtTiers.filter { $0 <= best }
    }

    /// The cap in the environment, nil when unset or empty.
    static func environmentCap() throws -> ISATier? {
        guard let raw = getenv(environmentVariable) else { return nil }
        let value = String(cString: raw)
        if value.isEmpty { return nil }
        guard let tier = ISATier(name: value) else {
            let names = builtTiers.map(\.name).joined(separator: ", ")
            throw MobileNetError(.invalidArgument, "\(environmentVariable)=\(value) is not one of \(names)")
        }
        return tier
    }

    /// The tier a model loaded now gets: the best supported one, at most the
    /// environment's cap.
    public static func tierForLoad() throws -> ISATier {
        let best = supportedTiers.last ?? .generic
        guard let cap = try environmentCap() else { return best }
        return min(best, cap)
    }

    /// The kernels of `tier`, which must be supported here.
    public static func kernels(_ tier: ISATier) -> any F32Kernels {
        #if arch(x86_64)
        switch tier {
        case .generic: return MobileNetF32Generic.F32TierKernels()
        case .avx2: return MobileNetF32AVX2.F32TierKernels()
        case .avx512: return MobileNetF32AVX512.F32TierKernels()
        }
        #else
        return MobileNetF32Generic.F32TierKernels()
        #endif
    }

    /// The 8-bit kernels of `tier`, which must be supported here.
    public static func qs8Kernels(_ tier: ISATier) -> any QS8Kernels {
        #if arch(x86_64)
        switch tier {
        case .generic: return MobileNetQS8Generic.QS8TierKernels()
        case .avx2: return MobileNetQS8AVX2.QS8TierKernels()
        case .avx512: return MobileNetQS8AVX512.QS8TierKernels()
        }
        #else
        return MobileNetQS8Generic.QS8TierKernels()
        #endif
    }

    /// The training kernels of `tier` (the same tier modules).
    public static func trainingKernels(_ tier: ISATier) -> any F32TrainingKernels {
        #if arch(x86_64)
        switch tier {
        case .generic: return MobileNetF32Generic.F32TierKernels()
        case .avx2: return MobileNetF32AVX2.F32TierKernels()
        case .avx512: return MobileNetF32AVX512.F32TierKernels()
        }
        #else
        return MobileNetF32Generic.F32TierKernels()
        #endif
    }
}
