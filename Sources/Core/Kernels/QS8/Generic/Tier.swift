// This module's tier: portable SIMD (x86-64 SSE2, or arm64 NEON).
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.generic
    typealias QGEMM = QGEMMPortable
    typealias DepthwisePairs = QNoPairBlock
    typealias Quantize = QQuantize
    typealias DepthwiseLanes = QLanes8
}
