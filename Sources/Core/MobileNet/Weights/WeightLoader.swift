import MobileNetKernels

/// Builds the kernels' stages from a checked safetensors header: every tensor
/// the architecture needs must be present with dtype F32 and the exact shape
/// the width multiplier and class count imply, and nothing else may be. Then
/// each tensor is read, checked to be finite, BatchNorm-folded and packed.
struct WeightLoader {
    let source: ByteSource
    let header: SafeTensorsHeader
    let architecture: Architecture
    let epsilon: Double

    static let prefix = "MobilenetV1/"
    static let batchNormParts = ["gamma", "beta", "moving_mean", "moving_variance"]

    /// Every tensor name with the shape it must have.
    static func expectedTensors(_ architecture: Architecture) -> [(String, [Int])] {
        var tensors: [(String, [Int])] = []
        for layer in architecture.layers {
            let base = prefix + layer.name
            switch layer.type {
            case .conv3x3:
                tensors.append((base + "/weights", [3, 3, layer.inputChannels, layer.outputChannels]))
            case .depthwise3x3:
                tensors.append((base + "/depthwise_weights", [3, 3, layer.inputChannels, 1]))
            case .pointwise1x1:
                tensors.append((base + "/weights", [1, 1, layer.inputChannels, layer.outputChannels]))
            case .averagePool:
                continue
            case .fullyConnected:
                tensors.append((prefix + "Logits/Conv2d_1c_1x1/weights", [1, 1, layer.inputChannels, layer.outputChannels]))
                tensors.append((prefix + "Logits/Conv2d_1c_1x1/biases", [layer.outputChannels]))
                continue
            }
            for part in batchNormParts {
                tensors.append((base + "/BatchNorm/" + part, [layer.outputChannels]))
            }
        }
        return tensors
    }

    func checkTensorSet() throws {
        let expected = WeightLoader.expectedTensors(architecture)
        for (name, shape) in expected {
            guard let entry = header.entries[name] else {
                throw MobileNetError.format(
                    "tensor '\(name)' is missing (expected for a \(architecture.variant.name) network)")
            }
            guard entry.dtype == "F32" else {
                throw MobileNetError(.unsupported, "tensor '\(name)' has dtype \(entry.dtype); only F32 is supported")
            }
            guard entry.shape == shape else {
                throw MobileNetError.format(
                    "tensor '\(name)' has shape \(entry.shape) but width multiplier \(architecture.widthMultiplier) and \(architecture.numClasses) classes need \(shape)")
            }
        }
        if header.entries.count != expected.count {
            let names = Set(expected.map { $0.0 })
            let extra = header.entries.keys.sorted().first { !names.contains($0) } ?? "?"
            throw MobileNetError.format("unexpected tensor '\(extra)' for a \(architecture.variant.name) network")
        }
    }

    /// Reads a whole F32 tensor, checking every value is finite.
    func read(_ name: String) throws -> AlignedBuffer {
        let entry = header.entries[name]!
        let count = (entry.end - entry.begin) / 4
        let buffer = try AlignedBuffer(count: count, zeroed: false)
        try source.read(offset: entry.begin, count: entry.end - entry.begin, into: buffer.pointer)
        let raw = UnsafeRawPointer(buffer.pointer)
        for i in 0..<count {
            // The file is little-endian whatever the host.
            let value = Float(bitPattern: UInt32(littleEndian: raw.load(fromByteOffset: 4 * i, as: UInt32.self)))
            guard value.isFinite else {
                throw MobileNetError.format("tensor '\(name)' holds a NaN or infinite value at element \(i)")
            }
            buffer.pointer[i] = value
        }
        return buffer
    }

    /// Folds BatchNorm into per-output-channel scales and a bias.
    func batchNorm(_ layer: LayerSpec, paddedChannels: Int) throws -> (scale: [Double], bias: AlignedBuffer) {
        let base = WeightLoader.prefix + layer.name + "/BatchNorm/"
        let gamma = try read(base + "gamma"), beta = try read(base + "beta")
        let mean = try read(base + "moving_mean"), variance = try read(base + "moving_variance")
        let bias = try AlignedBuffer(count: paddedChannels)
        var scale = [Double](repeating: 0, count: layer.outputChannels)
        for c in 0..<layer.outputChannels {
            let v = Double(variance.pointer[c]) + epsilon
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

    /// Scales column `c` of a dense rows x columns matrix by scale[c], checking the result.
    private func scaleColumns(_ dense: AlignedBuffer, rows: Int, columns: Int, scale: [Double], layer: LayerSpec) throws {
        for r in 0..<rows {
            for c in 0..<scale.count {
                let v = Double(dense.pointer[r * columns + c]) * scale[c]
                guard abs(v) <= Double(Float.greatestFiniteMagnitude) else {
                    throw MobileNetError.format("\(layer.name): folding BatchNorm overflows a weight")
                }
                dense.pointer[r * columns + c] = Float(v)
            }
        }
    }

    private func packed(_ dense: AlignedBuffer, k: Int, n: Int) throws -> AlignedBuffer {
        let out = try AlignedBuffer(count: PointwiseGEMM.packedCount(k: k, n: n))
        PointwiseGEMM.packB(dense.pointer, k: k, n: n, into: out.pointer)
        return out
    }

    func buildStages() throws -> (stages: [Stage], logits: LogitsStage) {
        var stages: [Stage] = []
        var inputStride = 3  // the network input is packed RGB
        for layer in architecture.layers {
            let base = WeightLoader.prefix + layer.name
            switch layer.type {
            case .conv3x3:
                let outPad = roundUpTo8(layer.outputChannels)
                let raw = try read(base + "/weights")  // [3, 3, Cin, Cout]
                let k = 9 * inputStride
                let dense = try AlignedBuffer(count: k * outPad)
                for tap in 0..<9 {
                    for ci in 0..<layer.inputChannels {
                        for co in 0..<layer.outputChannels {
                            dense.pointer[(tap * inputStride + ci) * outPad + co] =
                                raw.pointer[(tap * layer.inputChannels + ci) * layer.outputChannels + co]
                        }
                    }
                }
                let (scale, bias) = try batchNorm(layer, paddedChannels: outPad)
                try scaleColumns(dense, rows: k, columns: outPad, scale: scale, layer: layer)
                let direct = inputStride <= DirectConv3x3.maxInputChannels
                stages.append(.conv(ConvStage(spec: layer, inputChannels: inputStride, outputChannels: outPad,
                                              weights: direct ? dense : try packed(dense, k: k, n: outPad),
                                              bias: bias)))
                inputStride = outPad
            case .depthwise3x3:
                let channels = roundUpTo8(layer.inputChannels)
                let raw = try read(base + "/depthwise_weights")  // [3, 3, C, 1]
                let weights = try AlignedBuffer(count: 9 * channels)
                for tap in 0..<9 {
                    for c in 0..<layer.inputChannels {
                        weights.pointer[tap * channels + c] = raw.pointer[tap * layer.inputChannels + c]
                    }
                }
                let (scale, bias) = try batchNorm(layer, paddedChannels: channels)
                try scaleColumns(weights, rows: 9, columns: channels, scale: scale, layer: layer)
                stages.append(.depthwise(DepthwiseStage(spec: layer, channels: channels, weights: weights, bias: bias)))
            case .pointwise1x1:
                let inPad = roundUpTo8(layer.inputChannels), outPad = roundUpTo8(layer.outputChannels)
                let raw = try read(base + "/weights")  // [1, 1, Cin, Cout]
                let dense = try AlignedBuffer(count: inPad * outPad)
                for ci in 0..<layer.inputChannels {
                    for co in 0..<layer.outputChannels {
                        dense.pointer[ci * outPad + co] = raw.pointer[ci * layer.outputChannels + co]
                    }
                }
                let (scale, bias) = try batchNorm(layer, paddedChannels: outPad)
                try scaleColumns(dense, rows: inPad, columns: outPad, scale: scale, layer: layer)
                stages.append(.pointwise(PointwiseStage(spec: layer, inputChannels: inPad, outputChannels: outPad,
                                                        weights: try packed(dense, k: inPad, n: outPad), bias: bias)))
                inputStride = outPad
            case .averagePool:
                continue
            case .fullyConnected:
                let inPad = roundUpTo8(layer.inputChannels), classes = layer.outputChannels
                let outPad = roundUpTo8(classes)
                let raw = try read(WeightLoader.prefix + "Logits/Conv2d_1c_1x1/weights")
                let rawBias = try read(WeightLoader.prefix + "Logits/Conv2d_1c_1x1/biases")
                let dense = try AlignedBuffer(count: inPad * outPad)
                for ci in 0..<layer.inputChannels {
                    for co in 0..<classes {
                        dense.pointer[ci * outPad + co] = raw.pointer[ci * classes + co]
                    }
                }
                let bias = try AlignedBuffer(count: outPad)
                bias.pointer.update(from: rawBias.pointer, count: classes)
                let logits = LogitsStage(inputChannels: inPad, numClasses: classes, paddedClasses: outPad,
                                         weights: try packed(dense, k: inPad, n: outPad), bias: bias)
                return (stages, logits)
            }
        }
        throw MobileNetError(.internal, "architecture has no logits layer")
    }
}
