#if arch(x86_64)
import _Builtin_intrinsics.intel.cpuid
import CPUFeatureProbe
#endif
import MobileNetKernelInterface

/// Which ISA tiers this CPU and OS can run: CPUID for the instructions,
/// XGETBV for the register state the OS saves (a CPU with AVX-512 under an
/// OS or hypervisor that does not save zmm registers must not run it).
enum CPUSupport {
    /// The CPUID and XCR0 bits that matter.
    struct Features: Equatable {
        var leaf1ECX: UInt32 = 0
        var leaf7EBX: UInt32 = 0
        var leaf7ECX: UInt32 = 0
        /// XCR0 (0 when OSXSAVE is clear: XGETBV may not be executed).
        var xcr0: UInt64 = 0

        private func bit(_ word: UInt32, _ n: Int) -> Bool { word & (1 << UInt32(n)) != 0 }

        /// The OS saves xmm and ymm state (XCR0 bits 1, 2).
        var osSavesYMM: Bool { bit(leaf1ECX, 27) && xcr0 & 0b110 == 0b110 }
        /// ... and opmask, upper zmm and zmm16-31 state (XCR0 bits 5, 6, 7).
        var osSavesZMM: Bool { osSavesYMM && xcr0 & 0b1110_0000 == 0b1110_0000 }

        var hasAVX2AndFMA: Bool {
            bit(leaf1ECX, 12) && bit(leaf1ECX, 28) && bit(leaf7EBX, 5) && osSavesYMM  // FMA, AVX, AVX2
        }

        /// AVX-512 F, DQ, BW, VL (leaf 7 EBX bits 16, 17, 30, 31) and VNNI
        /// (ECX bit 11): what -target-cpu cascadelake may emit.
        var hasAVX512: Bool {
            hasAVX2AndFMA && bit(leaf7EBX, 16) && bit(leaf7EBX, 17) && bit(leaf7EBX, 30) && bit(leaf7EBX, 31)
                && bit(leaf7ECX, 11) && osSavesZMM
        }

        /// The best tier these features run.
        var bestTier: ISATier {
            #if arch(x86_64)
            if hasAVX512 { return .avx512 }
            if hasAVX2AndFMA { return .avx2 }
            #endif
            return .generic
        }
    }

    static func current() -> Features {
        var features = Features()
        #if arch(x86_64)
        var a: UInt32 = 0, b: UInt32 = 0, c: UInt32 = 0, d: UInt32 = 0
        if __get_cpuid(1, &a, &b, &c, &d) != 0 { features.leaf1ECX = c }
        if __get_cpuid_count(7, 0, &a, &b, &c, &d) != 0 {
            features.leaf7EBX = b
            features.leaf7ECX = c
        }
        if features.leaf1ECX & (1 << 27) != 0 { features.xcr0 = mobilenet_xgetbv0() }
        #endif
        return features
    }
}
