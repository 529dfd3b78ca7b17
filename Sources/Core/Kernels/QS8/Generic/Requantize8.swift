// requantizeReference (the interface's TFLite reference) plus the output
// zero point and clamp on 8 lanes, in portable SIMD: the generic tier's
// output stage. The AVX2 tier has its own intrinsics version (same name).
import MobileNetKernelInterface

/// The offset outputs (q - outputZeroPoint) of 8 accumulators, bit for bit
/// requantizeReference(acc + bias) + zero point, clamped, - zero point; all
/// integer ops wrap as TFLite's int32 arithmetic does on x86 and arm.
@inline(__always) @usableFromInline
func requantize8(_ acc: SIMD8<Int32>, _ s: ChannelStage8) -> SIMD8<Int32> {
    let x = (acc &+ s.bias) &<< s.left
    // SaturatingRoundingDoublingHighMul: the multiplier is never Int32.min,
    // so (x * m + 2^30) >> 31 is exact (see requantizeReference).
    let ab = widen(x) &* widen(s.multiplier)
    let high = narrow((ab &+ (1 << 30)) &>> 31)
    // RoundingDivideByPOT: the threshold is one higher for negative values.
    let remainder = high & s.mask
    let threshold = s.halfMask &- (high &>> 31)
    let zero = SIMD8<Int32>()
    let roundUp = zero.replacing(with: 1, where: remainder .> threshold)
    var q = (high &>> s.right) &+ roundUp &+ s.zeroPoint
    q = q.replacing(with: s.lower, where: q .< s.lower)
    q = q.replacing(with: s.upper, where: q .> s.upper)
    return q &- s.zeroPoint
}
