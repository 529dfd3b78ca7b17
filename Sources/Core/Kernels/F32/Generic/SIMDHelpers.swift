// Unaligned SIMD loads/stores, the multiply-add and the clamp epilogue shared
// by the SIMD8 kernels of every tier that compiles them.
import MobileNetKernelInterface
#if MOBILENET_AVX512
import _Builtin_intrinsics.intel
#endif

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

/// A SIMD float vector a kernel can be written once for: SIMD8 (ymm, or two
/// xmm on the generic tier) or SIMD16 (zmm on the AVX-512 tier). Every
/// operation is a requirement implemented on the concrete type: generic code
/// calling the SIMD protocol's own operators (`.<`, `replacing`) got lane-by-
/// lane loops even when specialized, and a depthwise layer ran 25x slower.
@usableFromInline
protocol KernelVector {
    static var lanes: Int { get }
    static var zero: Self { get }
    static func load(_ p: UnsafePointer<Float>) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
    /// self += a * b, fused where the tier has FMA (see SIMD8.fmadd).
    mutating func fmadd(_ a: Self, _ b: Self)
    func plus(_ other: Self) -> Self
    func clamped(_ clamp: Clamp) -> Self
}

extension SIMD8: KernelVector where Scalar == Float {
    @inline(__always) @usableFromInline static var lanes: Int { 8 }
    @inline(__always) @usableFromInline static var zero: Self { Self() }
    @inline(__always) @usableFromInline static func load(_ p: UnsafePointer<Float>) -> Self { load8(p) }
    @inline(__always) @usableFromInline func store(_ p: UnsafeMutablePointer<Float>) { store8(self, p) }
    @inline(__always) @usableFromInline func plus(_ other: Self) -> Self { self + other }
    @inline(__always) @usableFromInline
    func clamped(_ clamp: Clamp) -> Self {
        let low = replacing(with: clamp.lower, where: self .< clamp.lower)
        return low.replacing(with: clamp.upper, where: low .> clamp.upper)
    }
}

extension SIMD16: KernelVector where Scalar == Float {
    @inline(__always) @usableFromInline static var lanes: Int { 16 }
    @inline(__always) @usableFromInline static var zero: Self { Self() }
    @inline(__always) @usableFromInline
    static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) @usableFromInline
    func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
    @inline(__always) @usableFromInline
    mutating func fmadd(_ a: Self, _ b: Self) {
        #if MOBILENET_FMA
        addProduct(a, b)
        #else
        self = self + a * b
        #endif
    }
    @inline(__always) @usableFromInline func plus(_ other: Self) -> Self { self + other }
    @inline(__always) @usableFromInline
    func clamped(_ clamp: Clamp) -> Self {
        #if MOBILENET_AVX512
        // On 16 lanes `replacing(with:where:)` became four xmm blends with
        // mask shuffles (about 40 instructions, and too big to be inlined in
        // the GEMM's epilogue: 8x32 tiles 0.70x the time at k = 32 without
        // it, Zen 4); vmaxps / vminps are one each. x86 returns the second
        // operand for a NaN, so NaN and -0 pass through as with the
        // comparisons below.
        return _mm512_min_ps(Self(repeating: clamp.upper), _mm512_max_ps(Self(repeating: clamp.lower), self))
        #else
        let low = replacing(with: clamp.lower, where: self .< clamp.lower)
        return low.replacing(with: clamp.upper, where: low .> clamp.upper)
        #endif
    }
}

/// Clamps to [clamp.lower, clamp.upper] (SIMD8.clamped: `replacing(with:where:)`
/// lowers to vmaxps/vminps; the pointwiseMin/Max helpers are not inlined and
/// cost 15x, see shared notes). With infinite bounds every value passes unchanged.
@inline(__always) @usableFromInline
func clamped(_ v: Vec8, _ clamp: Clamp) -> Vec8 { v.clamped(clamp) }

@inline(__always) @usableFromInline
func finish(_ acc: Vec8, _ bias: Vec8, _ clamp: Clamp) -> Vec8 {
    clamped(acc + bias, clamp)
}
