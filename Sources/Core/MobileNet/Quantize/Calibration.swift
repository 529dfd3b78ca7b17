/// Runs a float model over calibration images, one at a time with every
/// layer unfused, and records what each layer's output holds.
struct Calibration {
    /// The normalized input the first layer reads.
    let input: ActivationStatistics
    /// Aligned with the architecture's layers.
    let outputs: [ActivationStatistics]
    let images: Int

    /// At most this many calibration images: TensorFlow's converter takes
    /// 100-500; 100,000 bounds a caller's mistake, not a real need.
    static let maxImages = 100_000

    init(model: Model, images: UnsafePointer<Float>, count: Int, height: Int, width: Int) throws {
        guard (1...Calibration.maxImages).contains(count) else {
            throw MobileNetError.invalid("calibration count \(count) is outside 1...\(Calibration.maxImages)")
        }
        guard (1...NetworkInfo.maxInputSide).contains(height), (1...NetworkInfo.maxInputSide).contains(width) else {
            throw MobileNetError.invalid("calibration size \(height)x\(width) is outside 1...\(NetworkInfo.maxInputSide)")
        }
        let network = model.network
        let layers = network.layers
        // ReLU6 outputs fit [0, 6]; the others (logits) only need extremes.
        var outputs = layers.map { _ in ActivationStatistics(histogramTop: 6) }
        var input = ActivationStatistics(histogramTop: 6)
        let imageFloats = height * width * 3  // both bounded above: no overflow
        try model.withArena(height: height, width: width) { arena in
            for image in 0..<count {
                let pixels = images + image * imageFloats
                for i in 0..<imageFloats where !pixels[i].isFinite {
                    throw MobileNetError.invalid("calibration image \(image) holds a NaN or infinite value")
                }
                input.add(pixels, pixels: height * width, channels: 3, pixelStride: 3)
                network.forward(pixels, arena: arena, output: nil, fused: false, afterPass: { pass, output, step in
                    guard case let .single(layer) = pass else { return }
                    let out = step.output
                    outputs[layer].add(output, pixels: out.height * out.width,
                                       channels: layers[layer].spec.outputChannels, pixelStride: out.pixelStride)
                })
            }
        }
        self.input = input
        self.outputs = outputs
        self.images = count
    }
}
