/// How an NHWC activation sits in memory: pixels in row-major order, each
/// `pixelStride` floats apart (>= channels, a multiple of 8; a gap after the
/// channels where that measured faster, see the runtime's pixelStride).
public struct ActivationLayout: Equatable, Sendable {
    public var height: Int
    public var width: Int
    /// Floats from one pixel to the next.
    public var pixelStride: Int

    public init(height: Int, width: Int, pixelStride: Int) {
        self.height = height
        self.width = width
        self.pixelStride = pixelStride
    }
}

/// Rounds `n` up to a multiple of 8, the SIMD width every kernel assumes for channels.
@inline(__always)
public func roundUpTo8(_ n: Int) -> Int { (n + 7) & ~7 }
