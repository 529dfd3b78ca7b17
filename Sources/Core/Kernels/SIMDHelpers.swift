// Unaligned SIMD loads/stores and the fused ReLU6 clamp shared by the kernels.

@usableFromInline typealias Vec8 = SIMD8<Float>

@inline(__always) @usableFromInline
func load8(_ p: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always) @usableFromInline
func store8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self)
}

/// Clamps to [0, 6]. `replacing(with:where:)` lowers to vmaxps/vminps; the
/// pointwiseMin/Max helpers are not inlined and cost 15x (see shared notes).
@inline(__always) @usableFromInline
func relu6(_ v: Vec8) -> Vec8 {
    let low = v.replacing(with: 0, where: v .< 0)
    return low.replacing(with: 6, where: low .> 6)
}

/// What a kernel does to its outputs after adding the bias.
public enum Activation: Sendable {
    case none
    case relu6
}

@inline(__always) @usableFromInline
func finish(_ acc: Vec8, _ bias: Vec8, _ activation: Activation) -> Vec8 {
    let v = acc + bias
    return activation == .relu6 ? relu6(v) : v
}

/// Rounds `n` up to a multiple of 8, the SIMD width every kernel assumes for channels.
@inline(__always)
public func roundUpTo8(_ n: Int) -> Int { (n + 7) & ~7 }
