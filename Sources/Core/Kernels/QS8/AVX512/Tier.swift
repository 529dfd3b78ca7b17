// This module's tier: -target-cpu cascadelake (AVX-512 F/BW/DQ/VL/VNNI).
import MobileNetKernelInterface

enum ThisTier {
    static let tier = ISATier.avx512
    typealias QGEMM = QGEMMPortable
}
