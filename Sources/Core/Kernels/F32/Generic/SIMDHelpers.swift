// Unaligned SIMD loads/stores, the multiply-add and the clamp epilogue shared
// by the SIMD8 kernels of every tier that compiles them.
import MobileNetKernelInterface

@usableFromInline typealias Vec8 = SIMD8<Float>

@inline(__always) @usableFromInline
func load8(_ p: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always) @usableFromInline
func store8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self)
}

extension SIMD8 where Scalar == Float {
    /// self += a * b: one fused multiply-add where the tier has FMA. Without
    /// it (the x86-64 generic tier) `addProduct` becomes a libm fmaf call per
    /// lane, about 150x slower, so that tier multiplies and adds separately.
    @inline(__always) @usableFromInline
    mutating func fmadd(_ a: Self, _ b: Self) {
        #if MOBILENET_FMA
        addProduct(a, b)
        #else
        self = self + a * b
        #endif
    }
}

/// Clamps to [clamp.lower, clamp.upper]. `replacing(with:where:)` lowers to
/// vmaxps/vminps; the pointwiseMin/Max helpers are not inlined and cost 15x
/// (see shared notes). With infinite bounds every value passes unchanged.
@inline(__always) @usableFromInline
func clamped(_ v: Vec8, _ clamp: Clamp) -> Vec8 {
    let low = v.replacing(with: clamp.lower, where: v .< clamp.lower)
    return low.replacing(with: clamp.upper, where: low .> clamp.upper)
}

@inline(__always) @usableFromInline
func finish(_ acc: Vec8, _ bias: Vec8, _ clamp: Clamp) -> Vec8 {
    clamped(acc + bias, clamp)
}
