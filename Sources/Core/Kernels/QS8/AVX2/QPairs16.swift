// 16 channels of the depthwise kernel from tap pairs, the AVX2 form of the
// AVX-512 tier's QPairs32: vpunpck{l,h}wd interleaves two taps' inputs
// within each 128-bit lane and vpmaddwd multiplies each pair by the taps'
// packed weights (QDepthwisePairs), so per 16 outputs 10 vpmaddwd + 10
// vpaddd replace 18 vpmulld + 18 vpaddd and the 18 widening loads become 9
// plain ones. The low accumulator holds channels 0-3 and 8-11, the high one
// 4-7 and 12-15: the output stage's constants are gathered in that order,
// and vpackssdw of the two results is the 16 outputs in channel order.
// Exact (a pair's sum is at most 2 x 255 x 255): the bits of every tier.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

enum QPairs16: QDepthwisePairBlock {
    static var width: Int { 16 }

    static func extraCount(channels: Int) -> Int { QDepthwisePairs.extraCount(channels: channels, width: 16) }

    static func pack(_ weights: UnsafePointer<Int32>, channels: Int, into extra: UnsafeMutablePointer<Int32>) {
        QDepthwisePairs.pack(weights, channels: channels, width: 16, into: extra)
    }

    static func run(_ g: DepthwiseChannelGroup, input: UnsafePointer<Int16>, extra: UnsafePointer<Int32>,
                    r: Requantization, outRow: UnsafeMutablePointer<Int16>, outW: Int) {
        let w = UnsafeRawPointer(extra).assumingMemoryBound(to: Int16.self) + (g.c / 16) * 5 * 2 * 16
        // The accumulators' lane orders: channels 0-3 and 8-11, 4-7 and 12-15.
        let low = YmmStage(ChannelStage8(r, first: g.c, second: g.c + 8))
        let high = YmmStage(ChannelStage8(r, first: g.c + 4, second: g.c + 12))
        let zero = _mm256_setzero_si256()
        let rowStride = g.inW * g.inPS
        let fullRows = g.ky0 == 0 && g.ky1 == 3
        @inline(__always) func load(_ p: UnsafePointer<Int16>) -> __m256i { loadYmm(p) }
        @inline(__always) func weight(_ i: Int) -> __m256i { loadYmm(w + 16 * i) }
        for ox in 0..<outW {
            let ix0 = ox * g.stride - g.padLeft
            var x = (zero, zero, zero, zero, zero, zero, zero, zero, zero)
            if fullRows && g.interior.contains(ox) {
                let p = input + g.iy0 * rowStride + ix0 * g.inPS + g.c
                x = (load(p), load(p + g.inPS), load(p + 2 * g.inPS),
                     load(p + rowStride), load(p + rowStride + g.inPS), load(p + rowStride + 2 * g.inPS),
                     load(p + 2 * rowStride), load(p + 2 * rowStride + g.inPS), load(p + 2 * rowStride + 2 * g.inPS))
            } else {
                // Taps outside the image are 0, TFLite's skipped taps in offset form.
                @inline(__always) func tap(_ ky: Int, _ kx: Int) -> __m256i {
                    let iy = g.iy0 + ky, ix = ix0 + kx
                    guard ky >= g.ky0 && ky < g.ky1 && ix >= 0 && ix < g.inW else { return zero }
                    return load(input + (iy * g.inW + ix) * g.inPS + g.c)
                }
                x = (tap(0, 0), tap(0, 1), tap(0, 2), tap(1, 0), tap(1, 1), tap(1, 2), tap(2, 0), tap(2, 1), tap(2, 2))
            }
            var lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(x.0, x.1), weight(0))
            var hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(x.0, x.1), weight(1))
            madd(&lo, _mm256_unpacklo_epi16(x.2, x.3), weight(2))
            madd(&hi, _mm256_unpackhi_epi16(x.2, x.3), weight(3))
            madd(&lo, _mm256_unpacklo_epi16(x.4, x.5), weight(4))
            madd(&hi, _mm256_unpackhi_epi16(x.4, x.5), weight(5))
            madd(&lo, _mm256_unpacklo_epi16(x.6, x.7), weight(6))
            madd(&hi, _mm256_unpackhi_epi16(x.6, x.7), weight(7))
            madd(&lo, _mm256_unpacklo_epi16(x.8, zero), weight(8))
            madd(&hi, _mm256_unpackhi_epi16(x.8, zero), weight(9))
            let packed = _mm256_packs_epi32(requantizeYmm(lo, low), requantizeYmm(hi, high))
            UnsafeMutableRawPointer(outRow + ox * g.outPS + g.c).storeBytes(of: packed, as: __m256i.self)
        }
    }
}
