// This module's tier: -target-cpu haswell (AVX2 + FMA).
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx2
    typealias QGEMM = QGEMMPortable
}
