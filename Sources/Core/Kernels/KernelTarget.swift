// What the kernels were compiled for (see Package.swift), so the loader can
// refuse a CPU that lacks it instead of the host dying on an illegal
// instruction in the first inference.

public enum KernelTarget {
    #if MOBILENET_KERNELS_AVX2_FMA
    /// Built with `-target-cpu haswell`: AVX2 and FMA instructions.
    public static let needsAVX2AndFMA = true
    #else
    public static let needsAVX2AndFMA = false
    #endif
}
