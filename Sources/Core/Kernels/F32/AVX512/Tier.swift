// This module's tier: -target-cpu cascadelake (AVX-512 F/BW/DQ/VL/VNNI):
// 32 zmm registers, the 8x32 GEMM; the depthwise (16 lanes from 64 channels
// on), first-layer, im2col and pooling kernels are F32/Generic's code
// compiled for this CPU.
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx512
    typealias GEMM = GEMM8x32
    typealias DepthwiseVector = SIMD16<Float>
}
