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
        let scales = SIMD8<Float>(repeating: scale), zp = SIMD8<Int32>(repeating: zeroPoint)
        let low = SIMD8<Int32>(repeating: lower), high = SIMD8<Int32>(repeating: upper)
        var live = SIMD8<Int32>()
        for c in 0..<channels { live[c] = -1 }
        for p in 0..<pixels {
            let source = input + p * inputStride
            var x = SIMD8<Float>()
            if channels == 3 {  // RGB: a variable-lane insert loop ran at ~25 cycles per pixel
                x = SIMD8(source[0], source[1], source[2], 0, 0, 0, 0, 0)
            } else {
                for c in 0..<channels { x[c] = source[c] }
            }
            var q = rounded(x / scales) &+ zp
            q = q.replacing(with: low, where: q .< low)
            q = q.replacing(with: high, where: q .> high)
            store8((q &- zp) & live, output + p * 8)
        }
    }

    /// rounded(_:) on 8 lanes.
    @inline(__always)
    static func rounded(_ y: SIMD8<Float>) -> SIMD8<Int32> {
        let top = SIMD8<Float>(repeating: 1e6), bottom = SIMD8<Float>(repeating: -1e6)
        // NaN fails both compares and clamps low, as in the scalar version.
        let bounded = top.replacing(with: y, where: y .<= top).replacing(with: bottom, where: .!(y .>= bottom))
        // Toward zero, exact below 2^24; lane by lane because the generic
        // init(_:rounding:) stays a call (see ChannelStage's conversions).
        let whole = SIMD8(Int32(bounded[0]), Int32(bounded[1]), Int32(bounded[2]), Int32(bounded[3]),
                          Int32(bounded[4]), Int32(bounded[5]), Int32(bounded[6]), Int32(bounded[7]))
        let remainder = bounded - SIMD8<Float>(whole)
        let one = SIMD8<Int32>(repeating: 1), zero = SIMD8<Int32>()
        return whole &+ zero.replacing(with: one, where: remainder .>= 0.5)
                     &- zero.replacing(with: one, where: remainder .<= -0.5)
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
