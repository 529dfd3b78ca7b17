// The per-channel constants of the requantization (Requantization in the
// interface) for 8 consecutive output channels, split into the vector
// operands both tiers' requantize8 use: the shift as separate left and right
// counts, and the rounding mask of the right shift precomputed, so each
// output vector costs only the data-dependent operations.
import MobileNetKernelInterface

@usableFromInline
struct ChannelStage8 {
    var bias: SIMD8<Int32>
    var multiplier: SIMD8<Int32>
    /// max(shift, 0) and max(-shift, 0).
    var left: SIMD8<Int32>
    var right: SIMD8<Int32>
    /// 2^right - 1 and its half: RoundingDivideByPOT's remainder mask and threshold.
    var mask: SIMD8<Int32>
    var halfMask: SIMD8<Int32>
    var zeroPoint: SIMD8<Int32>
    var lower: SIMD8<Int32>
    var upper: SIMD8<Int32>

    /// Channels [channel, channel + 8) of `r`.
    @inline(__always) @usableFromInline
    init(_ r: Requantization, channel: Int) {
        self.init(r, bias: load8(r.bias + channel), multiplier: load8(r.multiplier + channel),
                  shift: load8(r.shift + channel))
    }

    /// Channels [first, first + 4) in lanes 0-3 and [second, second + 4) in
    /// lanes 4-7 (an unpacked accumulator's order); reads only those 8.
    @inline(__always) @usableFromInline
    init(_ r: Requantization, first: Int, second: Int) {
        @inline(__always) func gather(_ p: UnsafePointer<Int32>) -> SIMD8<Int32> {
            let raw = UnsafeRawPointer(p)
            return SIMD8(lowHalf: raw.loadUnaligned(fromByteOffset: 4 * first, as: SIMD4<Int32>.self),
                         highHalf: raw.loadUnaligned(fromByteOffset: 4 * second, as: SIMD4<Int32>.self))
        }
        self.init(r, bias: gather(r.bias), multiplier: gather(r.multiplier), shift: gather(r.shift))
    }

    @inline(__always) @usableFromInline
    init(_ r: Requantization, bias: SIMD8<Int32>, multiplier: SIMD8<Int32>, shift: SIMD8<Int32>) {
        self.bias = bias
        self.multiplier = multiplier
        let zero = SIMD8<Int32>()
        left = shift.replacing(with: zero, where: shift .< zero)
        let negated = zero &- shift
        right = negated.replacing(with: zero, where: negated .< zero)
        mask = (SIMD8<Int32>(repeating: 1) &<< right) &- 1
        halfMask = mask &>> 1
        zeroPoint = SIMD8(repeating: r.outputZeroPoint)
        lower = SIMD8(repeating: r.lower)
        upper = SIMD8(repeating: r.upper)
    }
}

@inline(__always) @usableFromInline
func load8(_ p: UnsafePointer<Int32>) -> SIMD8<Int32> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int32>.self)
}

@inline(__always) @usableFromInline
func store8(_ v: SIMD8<Int32>, _ p: UnsafeMutablePointer<Int32>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Int32>.self)
}

/// 8 Int16s widened to Int32 lanes.
@inline(__always) @usableFromInline
func load8(_ p: UnsafePointer<Int16>) -> SIMD8<Int32> {
    widen(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int16>.self))
}

/// Stores 8 offset outputs (each within -510...510, so the narrowing is exact).
@inline(__always) @usableFromInline
func store8(_ v: SIMD8<Int32>, _ p: UnsafeMutablePointer<Int16>) {
    UnsafeMutableRawPointer(p).storeBytes(of: narrow(v), as: SIMD8<Int16>.self)
}

// Lane conversions spelled lane by lane: SIMD's generic
// init(truncatingIfNeeded:) is not specialized across modules and ran as a
// call per vector (5.5% of an int8 inference, the depthwise layers at 3.5
// GOP/s); these become one vpmovsxwd / vpackssdw-class shuffle.
@inline(__always) @usableFromInline
func widen(_ v: SIMD8<Int16>) -> SIMD8<Int32> {
    SIMD8(Int32(v[0]), Int32(v[1]), Int32(v[2]), Int32(v[3]), Int32(v[4]), Int32(v[5]), Int32(v[6]), Int32(v[7]))
}

@inline(__always) @usableFromInline
func narrow(_ v: SIMD8<Int32>) -> SIMD8<Int16> {
    SIMD8(Int16(truncatingIfNeeded: v[0]), Int16(truncatingIfNeeded: v[1]), Int16(truncatingIfNeeded: v[2]),
          Int16(truncatingIfNeeded: v[3]), Int16(truncatingIfNeeded: v[4]), Int16(truncatingIfNeeded: v[5]),
          Int16(truncatingIfNeeded: v[6]), Int16(truncatingIfNeeded: v[7]))
}

@inline(__always) @usableFromInline
func widen(_ v: SIMD8<Int32>) -> SIMD8<Int64> {
    SIMD8(Int64(v[0]), Int64(v[1]), Int64(v[2]), Int64(v[3]), Int64(v[4]), Int64(v[5]), Int64(v[6]), Int64(v[7]))
}

@inline(__always) @usableFromInline
func narrow(_ v: SIMD8<Int64>) -> SIMD8<Int32> {
    SIMD8(Int32(truncatingIfNeeded: v[0]), Int32(truncatingIfNeeded: v[1]), Int32(truncatingIfNeeded: v[2]),
          Int32(truncatingIfNeeded: v[3]), Int32(truncatingIfNeeded: v[4]), Int32(truncatingIfNeeded: v[5]),
          Int32(truncatingIfNeeded: v[6]), Int32(truncatingIfNeeded: v[7]))
}

@inline(__always) @usableFromInline
func widen(_ v: SIMD16<Int16>) -> SIMD16<Int32> {
    SIMD16(lowHalf: widen(v.lowHalf), highHalf: widen(v.highHalf))
}
