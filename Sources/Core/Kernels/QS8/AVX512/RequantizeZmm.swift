// requantizeReference + zero point + clamp on 16 int32 lanes (one zmm): the
// output stage of this tier's GEMM and depthwise kernels. The same steps as
// the AVX2 tier's requantizeYmm at twice the width, so one output vector of
// 16 channels costs what 8 did there (the stage is 19 instructions, 15 with
// the bias in the accumulators and right shifts only, against 9 multiply-add
// instructions per depthwise output vector: it dominated).
// vpmuldq still reads only even lanes: the odd lanes are shifted down for a
// second multiply and the two halves merged with a lane mask.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

@inline(__always) func loadZmm(_ p: UnsafeRawPointer) -> __m512i { p.loadUnaligned(as: __m512i.self) }

/// Channels [channel, channel + 16) of a Requantization as zmm operands:
/// built once per 16 columns per tile.
struct ZmmStage {
    let bias, multiplier, multiplierOdd, left, right: __m512i
    /// 2^(right - 1), 0 when right is 0.
    let half: __m512i
    /// The zero point is added before the clamp and taken out after it, as
    /// TFLite does: clamping to the bounds minus the zero point instead
    /// differs where rounded + zero point wraps around Int32 (the edge test),
    /// which only right shifts rule out (Requantization.rightShiftsOnly).
    let zeroPoint, lower, upper: __m512i
    /// lower and upper minus the zero point.
    let offsetLower, offsetUpper: __m512i

    @inline(__always)
    init(_ r: Requantization, channel: Int) {
        self.init(r, bias: loadZmm(r.bias + channel), multiplier: loadZmm(r.multiplier + channel),
                  shift: loadZmm(r.shift + channel))
    }

    /// Lane i of the stage for channel channel + order[i] (order in 0..<32).
    @inline(__always)
    init(_ r: Requantization, channel: Int, order: __m512i) {
        @inline(__always) func gather(_ p: UnsafePointer<Int32>) -> __m512i {
            _mm512_permutex2var_epi32(loadZmm(p + channel), order, loadZmm(p + channel + 16))
        }
        self.init(r, bias: gather(r.bias), multiplier: gather(r.multiplier), shift: gather(r.shift))
    }

    @inline(__always)
    init(_ r: Requantization, bias: __m512i, multiplier: __m512i, shift: __m512i) {
        self.bias = bias
        self.multiplier = multiplier
        multiplierOdd = _mm512_srli_epi64(multiplier, 32)
        let zero = _mm512_setzero_si512()
        left = _mm512_max_epi32(shift, zero)
        right = _mm512_max_epi32(_mm512_sub_epi32(zero, shift), zero)
        half = _mm512_srli_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), right), 1)
        zeroPoint = _mm512_set1_epi32(r.outputZeroPoint)
        lower = _mm512_set1_epi32(r.lower)
        upper = _mm512_set1_epi32(r.upper)
        offsetLower = _mm512_set1_epi32(r.lower &- r.outputZeroPoint)
        offsetUpper = _mm512_set1_epi32(r.upper &- r.outputZeroPoint)
    }
}

/// Which shifts a stage meets (Requantization.rightShiftsOnly): kernels
/// instantiate both and pick once per call. With right shifts only, the
/// stage has no left shift and clamps the offset value directly: 3
/// instructions fewer (the bias already in the accumulators saves a 4th).
protocol QShiftKind { static var rightOnly: Bool { get } }
enum AnyShifts: QShiftKind { static var rightOnly: Bool { false } }
enum RightShiftsOnly: QShiftKind { static var rightOnly: Bool { true } }

/// The offset outputs of 16 accumulators (see the interface's requantizeReference).
@inline(__always)
func requantizeZmm(_ acc: __m512i, _ s: ZmmStage) -> __m512i {
    requantizeBiasedZmm(_mm512_add_epi32(acc, s.bias), s, AnyShifts.self)
}

/// requantizeZmm of accumulators that already hold the bias (a tile that
/// starts them at it: wrapping int32 adds commute, so the bits are the same).
/// RightShiftsOnly requires every channel's shift to be negative.
@inline(__always)
func requantizeBiasedZmm<S: QShiftKind>(_ acc: __m512i, _ s: ZmmStage, _: S.Type) -> __m512i {
    let x = S.rightOnly ? acc : _mm512_sllv_epi32(acc, s.left)
    // (x * m + 2^30) >> 31 per lane, low 32 bits kept (as requantizeYmm).
    let nudge = _mm512_set1_epi64(1 << 30)
    let even = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, s.multiplier), nudge), 31)
    let odd = _mm512_slli_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), s.multiplierOdd), nudge), 1)
    let high = _mm512_mask_blend_epi32(0xAAAA, even, odd)
    // RoundingDivideByPOT rounds half away from zero: the magnitude rounded
    // half up, then negated where high < 0 (vpmovd2m + masked vpsubd).
    // |high| + half < 2^32 for every right in 0...31, so the unsigned sum and
    // logical shift are exact, INT_MIN included: 5 instructions, not 7.
    let magnitude = _mm512_srlv_epi32(_mm512_add_epi32(_mm512_abs_epi32(high), s.half), s.right)
    let rounded = _mm512_mask_sub_epi32(magnitude, _mm512_movepi32_mask(high), _mm512_setzero_si512(), magnitude)
    if S.rightOnly { return _mm512_min_epi32(_mm512_max_epi32(rounded, s.offsetLower), s.offsetUpper) }
    let q = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(rounded, s.zeroPoint), s.lower), s.upper)
    return _mm512_sub_epi32(q, s.zeroPoint)
}

/// Stores 16 offset outputs (each within -510...510: the narrowing vpmovdw is exact).
@inline(__always)
func store16(_ v: __m512i, _ p: UnsafeMutablePointer<Int16>) {
    UnsafeMutableRawPointer(p).storeBytes(of: _mm512_cvtepi32_epi16(v), as: __m256i.self)
}
