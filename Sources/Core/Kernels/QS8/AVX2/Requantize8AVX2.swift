// requantizeReference + zero point + clamp on 8 int32 lanes with AVX2
// intrinsics: the output stage of this tier's GEMM and depthwise kernels
// (same name and result as QS8/Generic's portable requantize8). The high
// multiply needs 64-bit products, which AVX2 only has as vpmuldq on the
// even lanes: the odd lanes are shifted down for a second vpmuldq, each
// product rounded in its 64-bit lane, and the two halves blended back.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

@inline(__always) func ymm(_ v: SIMD8<Int32>) -> __m256i { unsafeBitCast(v, to: __m256i.self) }
@inline(__always) func lanes(_ v: __m256i) -> SIMD8<Int32> { unsafeBitCast(v, to: SIMD8<Int32>.self) }

/// A ChannelStage8 as ymm operands, with the odd lanes' multipliers moved
/// to the even positions vpmuldq reads: built once per 8 columns per tile.
struct YmmStage {
    let bias, multiplier, multiplierOdd, left, right: __m256i
    /// 2^(right - 1), 0 when right is 0.
    let half: __m256i
    let zeroPoint, lower, upper: __m256i

    @inline(__always)
    init(_ s: ChannelStage8) {
        bias = ymm(s.bias)
        multiplier = ymm(s.multiplier)
        multiplierOdd = _mm256_srli_epi64(multiplier, 32)
        left = ymm(s.left)
        right = ymm(s.right)
        half = _mm256_srli_epi32(_mm256_add_epi32(ymm(s.mask), _mm256_set1_epi32(1)), 1)
        zeroPoint = ymm(s.zeroPoint)
        lower = ymm(s.lower)
        upper = ymm(s.upper)
    }

    @inline(__always)
    init(_ r: Requantization, channel: Int) { self.init(ChannelStage8(r, channel: channel)) }
}

/// Selects the odd 32-bit lanes in vpblendvb (vpblendd takes an immediate,
/// which Swift cannot pass to clang's macro).
@inline(__always) var oddLanes: __m256i { _mm256_set1_epi64x(Int64(bitPattern: 0xFFFF_FFFF_0000_0000)) }

/// The offset outputs of 8 accumulators (see the generic requantize8).
@inline(__always)
func requantizeYmm(_ acc: __m256i, _ s: YmmStage) -> __m256i {
    let x = _mm256_sllv_epi32(_mm256_add_epi32(acc, s.bias), s.left)
    // (x * m + 2^30) >> 31 per lane: only its low 32 bits are kept, so the
    // logical 64-bit shift is exact. Even lanes shift down into place; odd
    // lanes shift up by one so bits 31...62 land in the odd half.
    let nudge = _mm256_set1_epi64x(1 << 30)
    let even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, s.multiplier), nudge), 31)
    let odd = _mm256_slli_epi64(
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), s.multiplierOdd), nudge), 1)
    let high = _mm256_blendv_epi8(even, odd, oddLanes)
    // RoundingDivideByPOT rounds half away from zero: the magnitude rounded
    // half up, the sign put back (vpsignd; high = 0 gives 0 either way).
    // |high| + half < 2^32 for every right in 0...31, so the unsigned sum and
    // logical shift are exact, INT_MIN included: 4 instructions, not 6.
    let magnitude = _mm256_srlv_epi32(_mm256_add_epi32(_mm256_abs_epi32(high), s.half), s.right)
    let rounded = _mm256_sign_epi32(magnitude, high)
    let q = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(rounded, s.zeroPoint), s.lower), s.upper)
    return _mm256_sub_epi32(q, s.zeroPoint)
}

/// The shared kernels' (depthwise) entry point.
@inline(__always) @usableFromInline
func requantize8(_ acc: SIMD8<Int32>, _ s: ChannelStage8) -> SIMD8<Int32> {
    lanes(requantizeYmm(ymm(acc), YmmStage(s)))
}

/// Stores two vectors of 8 offset outputs (columns 0-7, 8-15) as 16 Int16s:
/// vpackssdw interleaves 128-bit halves, vpermd puts them back in order.
@inline(__always)
func store16(_ low: __m256i, _ high: __m256i, _ p: UnsafeMutablePointer<Int16>) {
    let packed = _mm256_packs_epi32(low, high)
    let ordered = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7))
    UnsafeMutableRawPointer(p).storeBytes(of: ordered, as: __m256i.self)
}

/// Stores one vector of 8 offset outputs as 8 Int16s.
@inline(__always)
func store8(_ v: __m256i, _ p: UnsafeMutablePointer<Int16>) {
    let packed = _mm256_permutevar8x32_epi32(_mm256_packs_epi32(v, v), _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7))
    UnsafeMutableRawPointer(p).storeBytes(of: _mm256_castsi256_si128(packed), as: __m128i.self)
}
