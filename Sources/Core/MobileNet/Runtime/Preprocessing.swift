/// TF-Slim's evaluation preprocessing, the recipe MobileNet's published
/// accuracy was measured with: central crop, bilinear resize as TensorFlow's
/// legacy resize_bilinear (align_corners = false, no half-pixel centers),
/// then (value - mean) * scale per channel.
public struct Preprocessing: Sendable {
    public static let defaultCropFraction = 0.875

    public let cropFraction: Double
    public let mean: [Float]
    public let scale: [Float]

    public init(cropFraction: Double, mean: [Float], scale: [Float]) {
        self.cropFraction = cropFraction
        self.mean = mean
        self.scale = scale
    }

    /// The central crop of `size` pixels: tf.image.central_crop's arithmetic.
    public func crop(_ size: Int) -> (start: Int, count: Int) {
        // At least one pixel stays, however small the fraction.
        let start = min(Int((Double(size) - Double(size) * cropFraction) / 2), (size - 1) / 2)
        return (start, size - 2 * start)
    }

    /// Writes outHeight x outWidth x 3 floats. The caller has validated the
    /// image geometry (rows of width * 3 bytes, rowStride apart).
    public func run(rgb: UnsafePointer<UInt8>, width: Int, height: Int, rowStride: Int,
                    outHeight: Int, outWidth: Int, into output: UnsafeMutablePointer<Float>) {
        let (y0, cropHeight) = crop(height)
        let (x0, cropWidth) = crop(width)
        let scaleY = Float(cropHeight) / Float(outHeight)
        let scaleX = Float(cropWidth) / Float(outWidth)
        let m0 = mean[0], m1 = mean[1], m2 = mean[2]
        let s0 = scale[0], s1 = scale[1], s2 = scale[2]
        for oy in 0..<outHeight {
            let fy = Float(oy) * scaleY
            let top = min(max(Int(fy.rounded(.down)), 0), cropHeight - 1)  // clamped against float rounding
            let bottom = min(Int(fy.rounded(.up)), cropHeight - 1)
            let ly = fy - fy.rounded(.down)
            let rowTop = rgb + (y0 + top) * rowStride
            let rowBottom = rgb + (y0 + bottom) * rowStride
            for ox in 0..<outWidth {
                let fx = Float(ox) * scaleX
                let left = (x0 + min(max(Int(fx.rounded(.down)), 0), cropWidth - 1)) * 3
                let right = (x0 + min(Int(fx.rounded(.up)), cropWidth - 1)) * 3
                let lx = fx - fx.rounded(.down)
                let out = output + (oy * outWidth + ox) * 3
                for c in 0..<3 {
                    let tl = Float(rowTop[left + c]), tr = Float(rowTop[right + c])
                    let bl = Float(rowBottom[left + c]), br = Float(rowBottom[right + c])
                    let t = tl + (tr - tl) * lx
                    let b = bl + (br - bl) * lx
                    let v = t + (b - t) * ly
                    out[c] = c == 0 ? (v - m0) * s0 : (c == 1 ? (v - m1) * s1 : (v - m2) * s2)
                }
            }
        }
    }
}
