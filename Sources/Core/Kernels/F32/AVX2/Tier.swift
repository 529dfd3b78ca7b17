// This module's tier: the SIMD8 kernels of F32/Generic compiled for
// -target-cpu haswell (AVX2 + FMA): 16 ymm registers, 6x16 GEMM tiles.
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx2
    typealias GEMM = PointwiseGEMM
    typealias DepthwiseVector = SIMD8<Float>
}
