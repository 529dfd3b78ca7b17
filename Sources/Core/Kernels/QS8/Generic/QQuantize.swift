// TFLite's QUANTIZE of the float network input into offset Int16 values,
// the first layer's only float work. No libm call: the rounding half away
// from zero is a truncating conversion plus a compare on the exact
// remainder (roundf per value cost 1-2% of an int8 inference). Pixels of up
// to 8 channels go through one SIMD8 vector each, the output's zero tail
// included (the scalar loop was 7% of an int8 inference on Zen 5).
import MobileNetKernelInterface

public enum QQuantize {
    public static func run(input: UnsafePointer<Float>, inputStride: Int, pixels: Int, channels: Int, scale: Float,
                           zeroPoint: Int32, lower: Int32, upper: Int32, output: UnsafeMutablePointer<Int16>,
                           outputStride: Int) {
        if channels <= 8 && outputStride == 8 {
            runPixels8(input: input, inputStride: inputStride, pixels: pixels, channels: channels, scale: scale,
                       zeroPoint: zeroPoint, lower: lower, upper: upper, output: output)
            return
        }
        for p in 0..<pixels {
            let source = input + p * inputStride, target = output + p * outputStride
            for c in 0..<channels {
                let q = rounded(source[c] / scale) &+ zeroPoint
                target[c] = Int16(truncatingIfNeeded: min(max(q, lower), upper) &- zeroPoint)
            }
            for c in channels..<outputStride { target[c] = 0 }
        }
    }

    static func runPixels8(input: UnsafePointer<Float>, inputStride: Int, pixels: Int, channels: Int, scale: Float,
                           zeroPoint: Int32, lower: Int32, upper: Int32, output: UnsafeMutablePointer<Int16>) {
        let scales = SIMD16<Float>(repeating: scale), zp = SIMD16<Int32>(repeating: zeroPoint)
        let low = SIMD16<Int32>(repeating: lower), high = SIMD16<Int32>(repeating: upper)
        var live = SIMD16<Int32>()
        for c in 0..<channels { live[c] = -1; live[8 + c] = -1 }
        // Two pixels per vector: the division is the costly step.
        var p = 0
        while p < pixels {
            let first = input + p * inputStride, second = p + 1 < pixels ? first + inputStride : first
            var x = SIMD16<Float>()
            if channels == 3 {  // RGB: a variable-lane insert loop ran at ~25 cycles per pixel
                x = SIMD16(first[0], first[1], first[2], 0, 0, 0, 0, 0, second[0], second[1], second[2], 0, 0, 0, 0, 0)
            } else {
                for c in 0..<channels { x[c] = first[c]; x[8 + c] = second[c] }
            }
            var q = rounded(x / scales) &+ zp
            q = q.replacing(with: low, where: q .< low)
            q = q.replacing(with: high, where: q .> high)
            let v = (q &- zp) & live
            store8(v.lowHalf, output + p * 8)
            if p + 1 < pixels { store8(v.highHalf, output + p * 8 + 8) }
            p += 2
        }
    }

    /// rounded(_:) on 16 lanes.
    @inline(__always)
    static func rounded(_ y: SIMD16<Float>) -> SIMD16<Int32> {
        let top = SIMD16<Float>(repeating: 1e6), bottom = SIMD16<Float>(repeating: -1e6)
        // NaN fails both compares and clamps low, as in the scalar version.
        let bounded = top.replacing(with: y, where: y .<= top).replacing(with: bottom, where: .!(y .>= bottom))
        let whole = SIMD16(lowHalf: truncated(bounded.lowHalf), highHalf: truncated(bounded.highHalf))
        let remainder = bounded - SIMD16(lowHalf: SIMD8<Float>(whole.lowHalf), highHalf: SIMD8<Float>(whole.highHalf))
        let one = SIMD16<Int32>(repeating: 1), zero = SIMD16<Int32>()
        return whole &+ zero.replacing(with: one, where: remainder .>= 0.5)
                     &- zero.replacing(with: one, where: remainder .<= -0.5)
    }

    /// Toward zero, exact below 2^24; lane by lane because the generic
    /// init(_:rounding:) stays a call (see ChannelStage's conversions).
    @inline(__always)
    static func truncated(_ b: SIMD8<Float>) -> SIMD8<Int32> {
        SIMD8(Int32(b[0]), Int32(b[1]), Int32(b[2]), Int32(b[3]), Int32(b[4]), Int32(b[5]), Int32(b[6]), Int32(b[7]))
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
