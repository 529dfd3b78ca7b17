// This module's tier: x86-64 SSE2 without FMA (mul + add), or arm64 NEON
// (with FMA: see Package.swift's MOBILENET_FMA).
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.generic
    typealias GEMM = PointwiseGEMM
    typealias DepthwiseVector = SIMD8<Float>
}
