/// TF-Slim's training preprocessing (inception_preprocessing.preprocess_for_train,
/// without the optional colour distortion): a random crop covering 8-100% of
/// the image's area with an aspect ratio in [3/4, 4/3] (sample_distorted_bounding_box,
/// up to 100 attempts, else the whole image), resized bilinearly to size x
/// size, flipped left-right half of the time, then normalised with the model's
/// input_mean / input_scale, which for TF-Slim's models is its (x/255 - 0.5) * 2.
/// The smallest area and the flip can be changed (`--min-crop-area`, `--no-flip`):
/// TF-Slim's ranges are for photos, and an 8x8 digit cropped to 8% or mirrored is another glyph.
struct DistortedCrop {
    static let defaultMinimumArea = 0.08
    static let aspectRange = 0.75...(4.0 / 3.0)

    var minimumArea = DistortedCrop.defaultMinimumArea
    var flips = true

    /// The crop rectangle (x, y, width, height) in pixels.
    func sample(width: Int, height: Int, _ random: inout SeededRandom) -> (Int, Int, Int, Int) {
        let area = Double(width * height)
        for _ in 0..<100 {
            let aspect = random.uniform(DistortedCrop.aspectRange.lowerBound, DistortedCrop.aspectRange.upperBound)
            let target = area * random.uniform(minimumArea, 1.0)
            let w = Int((target * aspect).squareRoot().rounded()), h = Int((target / aspect).squareRoot().rounded())
            guard w >= 1, h >= 1, w <= width, h <= height else { continue }
            return (random.below(width - w + 1), random.below(height - h + 1), w, h)
        }
        return (0, 0, width, height)
    }

    /// Writes size x size x 3 normalised floats of a random crop of `image` into `output`.
    func run(_ image: ImageFile, size: Int, mean: [Float], scale: [Float], _ random: inout SeededRandom,
             into output: UnsafeMutablePointer<Float>) {
        let (x0, y0, w, h) = sample(width: image.width, height: image.height, &random)
        let coin = random.next() & 1 == 1  // drawn either way, so --no-flip keeps the crops' sequence
        let flip = flips && coin
        // Half-pixel centres (TensorFlow 2's tf.image.resize), edges clamped.
        let sx = Double(w) / Double(size), sy = Double(h) / Double(size)
        image.rgb.withUnsafeBufferPointer { rgb in
            for oy in 0..<size {
                let fy = max((Double(oy) + 0.5) * sy - 0.5, 0)
                let y1 = min(Int(fy), h - 1), y2 = min(y1 + 1, h - 1)
                let wy = Float(fy - Double(y1))
                for ox in 0..<size {
                    let fx = max((Double(ox) + 0.5) * sx - 0.5, 0)
                    let x1 = min(Int(fx), w - 1), x2 = min(x1 + 1, w - 1)
                    let wx = Float(fx - Double(x1))
                    let out = output + (oy * size + (flip ? size - 1 - ox : ox)) * 3
                    for c in 0..<3 {
                        func pixel(_ x: Int, _ y: Int) -> Float { Float(rgb[((y0 + y) * image.width + x0 + x) * 3 + c]) }
                        let top = pixel(x1, y1) + (pixel(x2, y1) - pixel(x1, y1)) * wx
                        let bottom = pixel(x1, y2) + (pixel(x2, y2) - pixel(x1, y2)) * wx
                        out[c] = (top + (bottom - top) * wy - mean[c]) * scale[c]
                    }
                }
            }
        }
    }
}
