// QUANTIZE of RGB input (3 floats a pixel) into 8-Int16 pixels on zmm: 16
// pixels are 3 full loads; the division, TFLite's rounding half away from
// zero and the clamp run on 16 lanes, and one masked two-source permute per
// pixel pair puts channels 0-2 in place and zeroes the gap. The generic
// vector path (two pixels a vector, lane-by-lane truncation) took 4.2% of
// an int8 inference on Zen 4 (0.19 ms of 4.55). Other shapes and the last
// pixels of a call go to QQuantize. Same bits as every tier: IEEE division,
// and the rounding is exact (see rounded(_:)).
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

enum QQuantizeZmm {
    static func run(input: UnsafePointer<Float>, inputStride: Int, pixels: Int, channels: Int, scale: Float,
                    zeroPoint: Int32, lower: Int32, upper: Int32, output: UnsafeMutablePointer<Int16>,
                    outputStride: Int) {
        var done = 0
        if channels == 3 && inputStride == 3 && outputStride == 8 {
            done = pixels / 16 * 16
            runRGB16(input: input, blocks: pixels / 16, scale: scale, zeroPoint: zeroPoint, lower: lower,
                     upper: upper, output: output)
        }
        guard done < pixels else { return }
        QQuantize.run(input: input + done * inputStride, inputStride: inputStride, pixels: pixels - done,
                      channels: channels, scale: scale, zeroPoint: zeroPoint, lower: lower, upper: upper,
                      output: output + done * outputStride, outputStride: outputStride)
    }

    /// `blocks` x 16 RGB pixels.
    static func runRGB16(input: UnsafePointer<Float>, blocks: Int, scale: Float, zeroPoint: Int32, lower: Int32,
                         upper: Int32, output: UnsafeMutablePointer<Int16>) {
        let scales = _mm512_set1_ps(scale)
        let zp = _mm512_set1_epi32(zeroPoint)
        let low = _mm512_set1_epi32(lower), high = _mm512_set1_epi32(upper)
        // Pair j (pixels 2j, 2j + 1) is floats 6j...6j + 5, lanes 0-2 and 8-10
        // of its output: from vector 6j / 16 and the next (6 < 16 floats).
        let live: __mmask16 = 0x0707
        let o0 = pairOrder(0), o1 = pairOrder(6), o2 = pairOrder(12), o3 = pairOrder(2)
        let o4 = pairOrder(8), o5 = pairOrder(14), o6 = pairOrder(4), o7 = pairOrder(10)
        for b in 0..<blocks {
            let p = UnsafeRawPointer(input + b * 48)
            @inline(__always) func offsets(_ x: __m512) -> __m512i {
                let q = _mm512_add_epi32(rounded(_mm512_div_ps(x, scales)), zp)
                return _mm512_sub_epi32(_mm512_min_epi32(_mm512_max_epi32(q, low), high), zp)
            }
            let v0 = offsets(p.loadUnaligned(as: __m512.self))
            let v1 = offsets(p.loadUnaligned(fromByteOffset: 64, as: __m512.self))
            let v2 = offsets(p.loadUnaligned(fromByteOffset: 128, as: __m512.self))
            let out = UnsafeMutableRawPointer(output + b * 128)
            @inline(__always) func store(_ j: Int, _ a: __m512i, _ order: __m512i, _ next: __m512i) {
                let pair = _mm512_maskz_permutex2var_epi32(live, a, order, next)
                out.storeBytes(of: _mm512_cvtepi32_epi16(pair), toByteOffset: 32 * j, as: __m256i.self)
            }
            store(0, v0, o0, v1)
            store(1, v0, o1, v1)
            store(2, v0, o2, v1)
            store(3, v1, o3, v2)
            store(4, v1, o4, v2)
            store(5, v1, o5, v2)
            store(6, v2, o6, v2)
            store(7, v2, o7, v2)
        }
    }

    /// Lanes 0-2 and 8-10: indices first...first + 5 into two vectors.
    @inline(__always)
    static func pairOrder(_ first: Int32) -> __m512i {
        _mm512_set_epi32(0, 0, 0, 0, 0, first + 5, first + 4, first + 3, 0, 0, 0, 0, 0, first + 2, first + 1, first)
    }

    /// round(y) half away from zero for |y| <= 1e6; beyond +-1e6, NaN -1e6
    /// (QQuantize.rounded's definition). vmaxps returns its second operand
    /// when either is NaN. The truncation and the remainder are exact, and
    /// twice the remainder truncates to +-1 exactly when |remainder| >= 0.5.
    @inline(__always)
    static func rounded(_ y: __m512) -> __m512i {
        let bounded = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(-1e6)), _mm512_set1_ps(1e6))
        let whole = _mm512_cvttps_epi32(bounded)
        let twice = _mm512_mul_ps(_mm512_sub_ps(bounded, _mm512_cvtepi32_ps(whole)), _mm512_set1_ps(2))
        return _mm512_add_epi32(whole, _mm512_cvttps_epi32(twice))
    }
}
