// This module's tier: -target-cpu cascadelake (AVX-512 F/BW/DQ/VL/VNNI):
// 32 zmm registers, the 8x32 GEMM; the depthwise, first-layer, im2col and
// pooling kernels are F32/Generic's SIMD8 code compiled for this CPU.
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx512
    typealias GEMM = GEMM8x32
    /// SIMD16 measured slower (see Depthwise3x3).
    typealias DepthwiseVector = SIMD8<Float>
}
