#if arch(x86_64)
import _Builtin_intrinsics.intel.cpuid
#endif
import MobileNetKernels

/// Checks at load that this CPU can run the kernels as they were compiled.
enum CPUSupport {
    /// The CPUID bits that matter: leaf 1 ECX (FMA, OSXSAVE, AVX) and leaf 7
    /// EBX (AVX2).
    struct Features {
        var leaf1ECX: UInt32
        var leaf7EBX: UInt32

        var hasAVX2AndFMA: Bool {
            let fma = leaf1ECX & (1 << 12) != 0, osxsave = leaf1ECX & (1 << 27) != 0
            let avx = leaf1ECX & (1 << 28) != 0, avx2 = leaf7EBX & (1 << 5) != 0
            return fma && osxsave && avx && avx2
        }
    }

    static func check() throws {
        #if arch(x86_64)
        try check(needsAVX2AndFMA: KernelTarget.needsAVX2AndFMA, features: current())
        #endif
    }

    static func check(needsAVX2AndFMA: Bool, features: Features) throws {
        guard needsAVX2AndFMA, !features.hasAVX2AndFMA else { return }
        throw MobileNetError(.unsupported, "this build of libmobilenet needs a CPU with AVX2 and FMA "
                             + "(x86-64-v3: Intel since 2013, AMD since 2015); build it with "
                             + "MOBILENET_PORTABLE=1 for this CPU")
    }

    #if arch(x86_64)
    static func current() -> Features {
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        var features = Features(leaf1ECX: 0, leaf7EBX: 0)
        if __get_cpuid(1, &a, &b, &c, &d) != 0 { features.leaf1ECX = c }
        if __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 { features.leaf7EBX = b }
        return features
    }
    #endif
}
