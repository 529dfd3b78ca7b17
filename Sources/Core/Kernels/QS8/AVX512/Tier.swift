// This module's tier: -target-cpu cascadelake (AVX-512 F/BW/DQ/VL/VNNI):
// the zmm vpdpwssd GEMM, the 16-channel depthwise group and the zmm output
// stage of this folder; the AVX2 tier's 8-column tile for half panels; the
// depthwise loops, im2col and channel sums are QS8/Generic's code compiled
// for this CPU.
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx512
    typealias QGEMM = QGEMMAVX512
    typealias DepthwisePairs = QPairs32
    typealias Quantize = QQuantizeZmm
    typealias DepthwiseLanes = QLanes16
}
