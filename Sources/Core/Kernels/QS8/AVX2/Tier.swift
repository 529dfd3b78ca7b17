// This module's tier: -target-cpu haswell (AVX2 + FMA): the intrinsics GEMM
// and output stage of this folder; depthwise, im2col and channel sums are
// QS8/Generic's SIMD code compiled for this CPU (int32 lanes, ~3% of the MACs).
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx2
    typealias QGEMM = QGEMMAVX2
    typealias DepthwisePairs = QNoPairBlock
    typealias DepthwiseLanes = QLanes8
}
