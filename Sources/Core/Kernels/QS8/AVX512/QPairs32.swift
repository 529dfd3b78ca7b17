// 32 channels of the depthwise kernel from tap pairs: vpunpck{l,h}wd
// interleaves two taps' Int16 inputs channel by channel, and vpdpwssd
// multiplies each pair by the two taps' weights (packed once, interleaved
// the same way) and adds both products in one instruction. Per 32 outputs:
// 9 loads, 10 unpacks and 10 vpdpwssd (taps 0-7 in pairs, tap 8 with a
// zero), against 18 widening loads, 18 vpmulld and 18 vpaddd for two
// 16-lane groups. The unpacks work within 128-bit lanes, so the low
// accumulator holds channels 8l...8l+3 of each lane l and the high one
// 8l+4...8l+7: the output stage's constants are permuted to match, and
// vpackssdw of the two results puts the 32 outputs back in channel order.
// Exact integers (a pair's sum is at most 2 x 255 x 255), the same bits as
// every other tier.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

enum QPairs32: QDepthwisePairBlock {
    static var width: Int { 32 }

    static func extraCount(channels: Int) -> Int { QDepthwisePairs.extraCount(channels: channels, width: 32) }

    static func pack(_ weights: UnsafePointer<Int32>, channels: Int, into extra: UnsafeMutablePointer<Int32>) {
        QDepthwisePairs.pack(weights, channels: channels, width: 32, into: extra)
    }

    static func run(_ g: DepthwiseChannelGroup, input: UnsafePointer<Int16>, extra: UnsafePointer<Int32>,
                    r: Requantization, outRow: UnsafeMutablePointer<Int16>, outW: Int) {
        if !r.rightShiftsOnly {
            run(AnyShifts.self, g, input: input, extra: extra, r: r, outRow: outRow, outW: outW)
        } else {
            run(RightShiftsOnly.self, g, input: input, extra: extra, r: r, outRow: outRow, outW: outW)
        }
    }

    @inline(__always)
    static func run<S: QShiftKind>(_: S.Type, _ g: DepthwiseChannelGroup, input: UnsafePointer<Int16>,
                                   extra: UnsafePointer<Int32>, r: Requantization,
                                   outRow: UnsafeMutablePointer<Int16>, outW: Int) {
        let w = UnsafeRawPointer(extra).assumingMemoryBound(to: Int16.self) + (g.c / 32) * 5 * 2 * 32
        // Channel order of the low and high accumulators' lanes.
        let lowOrder = _mm512_set_epi32(27, 26, 25, 24, 19, 18, 17, 16, 11, 10, 9, 8, 3, 2, 1, 0)
        let highOrder = _mm512_add_epi32(lowOrder, _mm512_set1_epi32(4))
        let low = ZmmStage(r, channel: g.c, order: lowOrder), high = ZmmStage(r, channel: g.c, order: highOrder)
        let zero = _mm512_setzero_si512()
        let rowStride = g.inW * g.inPS
        let fullRows = g.ky0 == 0 && g.ky1 == 3
        for ox in 0..<outW {
            let ix0 = ox * g.stride - g.padLeft
            var x = (zero, zero, zero, zero, zero, zero, zero, zero, zero)
            if fullRows && g.interior.contains(ox) {
                let p = input + g.iy0 * rowStride + ix0 * g.inPS + g.c
                x = (loadZmm(p), loadZmm(p + g.inPS), loadZmm(p + 2 * g.inPS),
                     loadZmm(p + rowStride), loadZmm(p + rowStride + g.inPS), loadZmm(p + rowStride + 2 * g.inPS),
                     loadZmm(p + 2 * rowStride), loadZmm(p + 2 * rowStride + g.inPS),
                     loadZmm(p + 2 * rowStride + 2 * g.inPS))
            } else {
                // Taps outside the image are 0, TFLite's skipped taps in offset form.
                @inline(__always) func tap(_ ky: Int, _ kx: Int) -> __m512i {
                    let iy = g.iy0 + ky, ix = ix0 + kx
                    guard ky >= g.ky0 && ky < g.ky1 && ix >= 0 && ix < g.inW else { return zero }
                    return loadZmm(input + (iy * g.inW + ix) * g.inPS + g.c)
                }
                x = (tap(0, 0), tap(0, 1), tap(0, 2), tap(1, 0), tap(1, 1), tap(1, 2), tap(2, 0), tap(2, 1), tap(2, 2))
            }
            // The sums start at the bias (the stages then skip their add).
            var lo = _mm512_dpwssd_epi32(low.bias, _mm512_unpacklo_epi16(x.0, x.1), loadZmm(w))
            var hi = _mm512_dpwssd_epi32(high.bias, _mm512_unpackhi_epi16(x.0, x.1), loadZmm(w + 32))
            lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(x.2, x.3), loadZmm(w + 64))
            hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(x.2, x.3), loadZmm(w + 96))
            lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(x.4, x.5), loadZmm(w + 128))
            hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(x.4, x.5), loadZmm(w + 160))
            lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(x.6, x.7), loadZmm(w + 192))
            hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(x.6, x.7), loadZmm(w + 224))
            lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(x.8, zero), loadZmm(w + 256))
            hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(x.8, zero), loadZmm(w + 288))
            let packed = _mm512_packs_epi32(requantizeBiasedZmm(lo, low, S.self), requantizeBiasedZmm(hi, high, S.self))
            UnsafeMutableRawPointer(outRow + ox * g.outPS + g.c).storeBytes(of: packed, as: __m512i.self)
        }
    }
}
