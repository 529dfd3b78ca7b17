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
        try decode(buffer.pointer, count: count, tensor: name, firstElement: 0)
        return buffer
    }

    /// Turns little-endian file floats into host floats in place, checking each is finite.
    private func decode(_ values: UnsafeMutablePointer<Float>, count: Int, tensor name: String,
                        firstElement: Int) throws {
        let raw = UnsafeRawPointer(values)
        for i in 0..<count {
            let value = Float(bitPattern: UInt32(littleEndian: raw.load(fromByteOffset: 4 * i, as: UInt32.self)))
            guard value.isFinite else {
                throw MobileNetError.format("tensor '\(name)' holds a NaN or infinite value at element \(firstElement + i)")
            }
            values[i] = value
        }
    }

    /// Streams a rows x columns F32 tensor through a small buffer, calling
    /// `body(row, values)` for each row: large matrices are packed without a
    /// whole second copy in memory.
    func forEachRow(_ name: String, rows: Int, columns: Int,
                    _ body: (Int, UnsafeMutablePointer<Float>) throws -> Void) throws {
        let entry = header.entries[name]!
        let rowsPerChunk = max(16384 / max(columns, 1), 1)
        let chunk = try AlignedBuffer(count: rowsPerChunk * columns, zeroed: false)
        var row = 0
        while row < rows {
            let count = min(rowsPerChunk, rows - row)
            try source.read(offset: entry.begin + row * columns * 4, count: count * columns * 4, into: chunk.pointer)
            try decode(chunk.pointer, count: count * columns, tensor: name, firstElement: row * columns)
            for r in 0..<count { try body(row + r, chunk.pointer + r * columns) }
            row += count
        }
    }

    /// A [1, 1, Cin, Cout] weight tensor, its columns scaled, packed for the
    /// GEMM as inPad x outPad, streamed row by row.
    private func packedMatrix(_ name: String, rows: Int, columns: Int, inPad: Int, outPad: Int,
                              scale: [Double]?, layer: LayerSpec,
                              packedRow: (Int) -> Int = { $0 }) throws -> AlignedBuffer {
        let packed = try AlignedBuffer(count: PointwiseGEMM.packedCount(k: inPad, n: outPad))
        let row = try AlignedBuffer(count: outPad)
        try forEachRow(name, rows: rows, columns: columns) { index, values in
            for c in 0..<columns {
                guard let scale else { row.pointer[c] = values[c]; continue }
                let v = Double(values[c]) * scale[c]
                guard abs(v) <= Double(Float.greatestFiniteMagnitude) else {
                    throw MobileNetError.format("\(layer.name): folding BatchNorm overflows a weight")
                }
                row.pointer[c] = Float(v)
            }
            PointwiseGEMM.packRow(row.pointer, row: packedRow(index), k: inPad, n: outPad, into: packed.pointer)
        }
        return packed
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

    func buildStages() throws -> (stages: [Stage], logits: LogitsStage) {
        var stages: [Stage] = []
        var inputStride = 3  // the network input is packed RGB
        for layer in architecture.layers {
            let base = WeightLoader.prefix + layer.name
            switch layer.type {
            case .conv3x3:
                let outPad = roundUpTo8(layer.outputChannels)
                let k = 9 * inputStride
                let (scale, bias) = try batchNorm(layer, paddedChannels: outPad)
                let weights: AlignedBuffer
                if inputStride <= DirectConv3x3.maxInputChannels {
                    // The first layer: dense (tap * C + c) x outPad for DirectConv3x3.
                    let raw = try read(base + "/weights")  // [3, 3, Cin, Cout]
                    weights = try AlignedBuffer(count: k * outPad)
                    for tap in 0..<9 {
                        for ci in 0..<layer.inputChannels {
                            for co in 0..<layer.outputChannels {
                                weights.pointer[(tap * inputStride + ci) * outPad + co] =
                                    raw.pointer[(tap * layer.inputChannels + ci) * layer.outputChannels + co]
                            }
                        }
                    }
                    try scaleColumns(weights, rows: k, columns: outPad, scale: scale, layer: layer)
                } else {
                    // im2col rows are tap-major over the input's padded channels,
                    // gathered whole: a gap in the pixel stride (uninitialized
                    // floats) must not reach them. Convolutions only follow
                    // convolutions, whose outputs have none.
                    guard inputStride == roundUpTo8(layer.inputChannels) else {
                        throw MobileNetError(.internal, "\(layer.name) follows an output with a padded pixel stride")
                    }
                    let cin = layer.inputChannels, stride = inputStride
                    weights = try packedMatrix(base + "/weights", rows: 9 * cin, columns: layer.outputChannels,
                                               inPad: k, outPad: outPad, scale: scale, layer: layer,
                                               packedRow: { ($0 / cin) * stride + $0 % cin })
                }
                stages.append(.conv(ConvStage(spec: layer, inputChannels: inputStride, outputChannels: outPad,
                                              weights: weights, bias: bias)))
                inputStride = stages[stages.count - 1].outputPixelStride
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
                inputStride = stages[stages.count - 1].outputPixelStride
            case .pointwise1x1:
                let inPad = roundUpTo8(layer.inputChannels), outPad = roundUpTo8(layer.outputChannels)
                let (scale, bias) = try batchNorm(layer, paddedChannels: outPad)
                let weights = try packedMatrix(base + "/weights", rows: layer.inputChannels,
                                               columns: layer.outputChannels, inPad: inPad, outPad: outPad,
                                               scale: scale, layer: layer)
                stages.append(.pointwise(PointwiseStage(spec: layer, inputChannels: inPad, outputChannels: outPad,
                                                        weights: weights, bias: bias)))
                inputStride = stages[stages.count - 1].outputPixelStride
            case .averagePool:
                continue
            case .fullyConnected:
                let inPad = roundUpTo8(layer.inputChannels), classes = layer.outputChannels
                let outPad = roundUpTo8(classes)
                let weights = try packedMatrix(WeightLoader.prefix + "Logits/Conv2d_1c_1x1/weights",
                                               rows: layer.inputChannels, columns: classes, inPad: inPad,
                                               outPad: outPad, scale: nil, layer: layer)
                let rawBias = try read(WeightLoader.prefix + "Logits/Conv2d_1c_1x1/biases")
                let bias = try AlignedBuffer(count: outPad)
                bias.pointer.update(from: rawBias.pointer, count: classes)
                let logits = LogitsStage(inputChannels: inPad, numClasses: classes, paddedClasses: outPad,
                                         weights: weights, bias: bias)
                return (stages, logits)
            }
        }
        throw MobileNetError(.internal, "architecture has no logits layer")
    }
}
