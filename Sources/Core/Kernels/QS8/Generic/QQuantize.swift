// TFLite's QUANTIZE of the float network input into offset Int16 values,
// the first layer's only float work. Scalar, but without a libm call: the
// rounding half away from zero is a truncating conversion plus a compare on
// the exact remainder (roundf per value cost 1-2% of an int8 inference).
import MobileNetKernelInterface

public enum QQuantize {
    public static func run(input: UnsafePointer<Float>, inputStride: Int, pixels: Int, channels: Int, scale: Float,
                           zeroPoint: Int32, lower: Int32, upper: Int32, output: UnsafeMutablePointer<Int16>,
                           outputStride: Int) {
        for p in 0..<pixels {
            let source = input + p * inputStride, target = output + p * outputStride
            for c in 0..<channels {
                let q = rounded(source[c] / scale) &+ zeroPoint
                target[c] = Int16(truncatingIfNeeded: min(max(q, lower), upper) &- zeroPoint)
            }
            for c in channels..<outputStride { target[c] = 0 }
        }
    }

    /// round(y) half away from zero for |y| <= 1e6; beyond (and NaN) +-1e6.
    @inline(__always)
    static func rounded(_ y: Float) -> Int32 {
        // NaN fails both compares and clamps low, as a huge negative does.
        let bounded: Float = y > 1e6 ? 1e6 : (y >= -1e6 ? y : -1e6)
        let whole = Int32(bounded)  // toward zero; exact below 2^24
        let remainder = bounded - Float(whole)  // exact: both within one binade of each other
        return whole &+ (remainder >= 0.5 ? 1 : (remainder <= -0.5 ? -1 : 0))
    }
}
