import MobileNet
import MobileNetKernelInterface

/// The training kernels of every tier this machine runs: each training kernel test runs on all.
let testedTrainingKernels: [any F32TrainingKernels] = KernelSelection.supportedTiers.map(KernelSelection.trainingKernels)

/// Worst |got - want| / scale over the elements, where scale[i] is the sum of
/// the magnitudes of the terms behind want[i] (plus a tiny floor): the error
/// float32 rounding can reach is proportional to it, whatever cancels. NaN or
/// a size mismatch gives infinity.
func worstRelativeError(_ got: [Float], _ want: [Double], _ scale: [Double]) -> Double {
    guard got.count == want.count, want.count == scale.count else { return .infinity }
    var worst = 0.0
    for i in got.indices {
        let e = abs(Double(got[i]) - want[i]) / (scale[i] + 1e-30)
        if e.isNaN || !got[i].isFinite { return .infinity }
        worst = max(worst, e)
    }
    return worst
}

extension Array where Element == Float {
    func withPointer<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    mutating func withMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
