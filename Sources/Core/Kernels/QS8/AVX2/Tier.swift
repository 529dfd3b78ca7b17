// This module's tier: -target-cpu haswell (AVX2 + FMA): the intrinsics GEMM,
// the depthwise from tap pairs (QPairs16) and the output stage of this
// folder; the depthwise loops, im2col and channel sums are QS8/Generic's
// SIMD code compiled for this CPU.
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx2
    typealias QGEMM = QGEMMAVX2
    typealias DepthwisePairs = QPairs16
    typealias Quantize = QQuantize
    typealias DepthwiseLanes = QLanes8
}
