/// Folds inference-mode BatchNorm into the preceding convolution:
/// y = gamma (x - mean) / sqrt(var + eps) + beta = scale x + bias, with
/// scale = gamma / sqrt(var + eps) and bias = beta - mean * scale, computed in
/// float64 and checked to stay finite in float32.
enum BatchNormFolding {
    static func parts(_ layer: LayerSpec) -> [String] {
        ["gamma", "beta", "moving_mean", "moving_variance"].map { "MobilenetV1/\(layer.name)/BatchNorm/\($0)" }
    }

    /// Per-output-channel scales, and the bias padded with zeros to `paddedChannels`.
    static func fold(_ layer: LayerSpec, _ context: CompileContext,
                     paddedChannels: Int) throws -> (scale: [Double], bias: AlignedBuffer) {
        let names = parts(layer)
        let gamma = try context.parameters.tensor(names[0]), beta = try context.parameters.tensor(names[1])
        let mean = try context.parameters.tensor(names[2]), variance = try context.parameters.tensor(names[3])
        let bias = try AlignedBuffer(count: paddedChannels)
        var scale = [Double](repeating: 0, count: layer.outputChannels)
        for c in 0..<layer.outputChannels {
            let v = Double(variance.pointer[c]) + context.epsilon
            guard v > 0 else {
                throw MobileNetError.format("\(layer.name): moving_variance + epsilon is not positive for channel \(c)")
            }
            scale[c] = Double(gamma.pointer[c]) / v.squareRoot()
            let b = Double(beta.pointer[c]) - Double(mean.pointer[c]) * scale[c]
            guard scale[c].isFinite, b.isFinite, abs(b) <= Double(Float.greatestFiniteMagnitude) else {
                throw MobileNetError.format("\(layer.name): folding BatchNorm gives a non-finite value for channel \(c)")
            }
            bias.pointer[c] = Float(b)
        }
        return (scale, bias)
    }

    /// One weight times its channel's scale, as float32.
    @inline(__always)
    static func scaled(_ weight: Float, by scale: Double, layer: LayerSpec) throws -> Float {
        let v = Double(weight) * scale
        guard abs(v) <= Double(Float.greatestFiniteMagnitude) else {
            throw MobileNetError.format("\(layer.name): folding BatchNorm overflows a weight")
        }
        return Float(v)
    }

    /// Scales column c of a dense rows x columns matrix by scale[c] in place.
    static func scaleColumns(_ dense: AlignedBuffer, rows: Int, columns: Int, scale: [Double],
                             layer: LayerSpec) throws {
        for r in 0..<rows {
            for c in 0..<scale.count {
                dense.pointer[r * columns + c] = try scaled(dense.pointer[r * columns + c], by: scale[c], layer: layer)
            }
        }
    }
}
