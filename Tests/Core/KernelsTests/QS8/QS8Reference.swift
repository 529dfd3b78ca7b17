import Foundation
import MobileNet
import MobileNetKernelInterface

/// The 8-bit kernels of every tier this machine runs: each test runs on all.
let testedQS8Kernels: [any QS8Kernels] = KernelSelection.supportedTiers.map(KernelSelection.qs8Kernels)

/// A seeded integer generator (the same LCG as SeededRandom).
struct QRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 11
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func int16s(_ count: Int, _ range: ClosedRange<Int>) -> [Int16] {
        (0..<count).map { _ in Int16(int(range)) }
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 42) }
}

/// TFLite's QuantizeMultiplier (quantization_util.cc), transcribed:
/// scale = multiplier x 2^(shift - 31).
func quantizeMultiplier(_ scale: Double) -> (multiplier: Int32, shift: Int32) {
    if scale == 0 { return (0, 0) }
    var exponent: Int32 = 0
    let fraction = frexp(scale, &exponent)
    var q = Int64((fraction * Double(Int64(1) << 31)).rounded(.toNearestOrAwayFromZero))
    if q == Int64(1) << 31 {
        q /= 2
        exponent += 1
    }
    if exponent < -31 { return (0, 0) }
    return (Int32(q), exponent)
}

/// How a test picks each output channel's multiplier and shift.
enum ScaleMode: CaseIterable {
    /// Outputs mostly inside the clamp: the rounding is exercised.
    case typical
    /// Scales log-uniform in [1e-9, 4] (and a few just above and below 2^-31).
    case logUniform
    /// Any multiplier 0...Int32.max with any shift -31...30.
    case raw
}

/// Owned requantization arrays for n channels.
struct QuantParameters {
    var bias: [Int32], multiplier: [Int32], shift: [Int32]
    var zeroPoint: Int32, lower: Int32, upper: Int32

    init(n: Int, k: Int, mode: ScaleMode, random: inout QRandom) {
        bias = (0..<n).map { _ in Int32(random.int(-200_000...200_000)) }
        var multiplier = [Int32](), shift = [Int32]()
        for j in 0..<n {
            let m: Int32, s: Int32
            switch mode {
            case .typical:
                // acc is about 147 * 147 * sqrt(k) for uniform values in -255...255.
                let scale = 100 / (21_000 * Double(k).squareRoot()) * (0.25 + 4 * random.unit())
                (m, s) = quantizeMultiplier(scale)
            case .logUniform:
                let special: [Double] = [0x1p-31, 0x1.8p-32, 0x1p-32, 0x1p-33, 4, 0x1.fffffffffp-1]
                let scale = j < special.count ? special[j] : 1e-9 * pow(10, random.unit() * 9.6)
                (m, s) = quantizeMultiplier(scale)
            case .raw:
                m = Int32(random.int(0...Int(Int32.max)))
                s = Int32(random.int(-31...30))
            }
            multiplier.append(m)
            shift.append(s)
        }
        self.multiplier = multiplier
        self.shift = shift
        zeroPoint = Int32(random.int(-128...127))
        if random.int(0...1) == 0 {
            (lower, upper) = (-128, 127)
        } else {
            // A fused ReLU6-like range inside int8.
            lower = zeroPoint
            upper = min(127, zeroPoint + Int32(random.int(0...200)))
        }
    }

    /// The arrays in allocations of exactly n entries (an Array's spare
    /// capacity would hide a kernel reading past the last channel from the
    /// address sanitizer; valgrind found one such read in CI).
    func withRequantization<R>(_ body: (Requantization) -> R) -> R {
        func exact(_ values: [Int32]) -> UnsafeMutablePointer<Int32> {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: values.count)
            p.initialize(from: values, count: values.count)
            return p
        }
        let b = exact(bias), m = exact(multiplier), s = exact(shift)
        defer { b.deallocate(); m.deallocate(); s.deallocate() }
        return body(Requantization(bias: b, multiplier: m, shift: s, channels: shift.count,
                                   outputZeroPoint: zeroPoint, lower: lower,
                                   upper: upper))
    }

    /// The stored offset output of channel j for accumulator acc.
    func output(_ acc: Int32, channel j: Int) -> Int16 {
        let q = requantizeReference(acc &+ bias[j], multiplier: multiplier[j], shift: shift[j]) &+ zeroPoint
        return Int16(min(max(q, lower), upper) &- zeroPoint)
    }
}

/// Row-major weights (k x n) packed for `kernels`' GEMM.
func qpack(_ w: [Int16], k: Int, n: Int, inputOffset: Int32? = nil, _ kernels: any QS8Kernels) -> [Int16] {
    var packed = [Int16](repeating: 0x5555, count: kernels.qgemmPackedCount(k: k, n: n))
    packed.withUnsafeMutableBufferPointer {
        kernels.qgemmPack(w, k: k, n: n, inputOffset: inputOffset, into: $0.baseAddress!)
    }
    return packed
}

/// TF's SAME padding before the data: total / 2 (TF), or the larger half when `late` is false.
func samePadding(input: Int, stride: Int, tfStyle: Bool) -> (output: Int, before: Int) {
    let output = (input + stride - 1) / stride
    let total = max((output - 1) * stride + 3 - input, 0)
    return (output, tfStyle ? total / 2 : total - total / 2)
}
