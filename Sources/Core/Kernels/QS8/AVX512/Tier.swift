// This module's tier: -target-cpu cascadelake (AVX-512 F/BW/DQ/VL/VNNI).
// For now the AVX2 tier's kernels compiled for this CPU (the same
// intrinsics are valid here); a VNNI GEMM needs an AVX-512 host to test.
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx512
    typealias QGEMM = QGEMMAVX2
}
