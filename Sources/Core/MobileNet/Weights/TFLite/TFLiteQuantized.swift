/// An int8 or uint8 MobileNet .tflite's parameters as a QuantizedNetwork,
/// and the quantization rules it must follow before it runs:
/// - every activation has one scale and a zero point in its type's range;
/// - int8 weights: per-channel (dimension 0 for CONV_2D, 3 for
///   DEPTHWISE_CONV_2D) or per-tensor, zero point 0 (TFLite's own rule);
///   uint8 weights: per-tensor, any zero point in 0...255;
/// - bias: int32, one per output channel;
/// - the average pool and the reshape keep their input's scale and zero point
///   (TFLite requires it of AVERAGE_POOL_2D);
/// - every effective multiplier input x weight / output scale is below 2^30.
extension QuantizedNetwork {
    init(_ net: TFLiteMobileNet) throws {
        guard net.precision != .float32 else { throw MobileNetError(.internal, "a float32 TFLite model") }
        let element: Element = net.precision == .int8 ? .int8 : .uint8
        func affine(_ t: TFLiteFile.Tensor) throws -> Affine {
            guard let q = t.quantization, q.scales.count == 1 else {
                throw MobileNetError.format("tensor '\(t.name)' has no single quantization scale")
            }
            let zero = q.zeroPoints[0]
            guard zero >= Int64(element.range.lowerBound), zero <= Int64(element.range.upperBound) else {
                throw MobileNetError.format("tensor '\(t.name)' has the zero point \(zero), outside \(element.name)")
            }
            return Affine(scale: q.scales[0], zeroPoint: Int32(zero))
        }
        var layers: [Layer] = []
        for (spec, layer) in zip(net.architecture.layers, net.layers) {
            let input = try affine(layer.input), output = try affine(layer.output)
            guard let w = layer.weights, let b = layer.bias, let wData = w.data, let bData = b.data else {
                // The average pool.
                guard input == output else {
                    throw MobileNetError(.unsupported, "\(spec.name): the average pool changes the quantization "
                                         + "(\(input.scale), \(input.zeroPoint)) -> (\(output.scale), \(output.zeroPoint))")
                }
                let range = element.range
                layers.append(Layer(spec: spec, input: input, output: output, weights: [], weightScales: [],
                                    bias: [], lower: range.lowerBound, upper: range.upperBound))
                continue
            }
            let channels = spec.outputChannels
            guard let wq = w.quantization else {
                throw MobileNetError.format("\(spec.name): the weights '\(w.name)' have no quantization")
            }
            let depthwise = spec.type == .depthwise3x3
            let perChannel = wq.scales.count == channels && channels > 1
            guard wq.scales.count == 1 || (perChannel && wq.dimension == (depthwise ? 3 : 0)) else {
                throw MobileNetError.format("\(spec.name): the weights have \(wq.scales.count) scales on dimension "
                                            + "\(wq.dimension) for \(channels) output channels")
            }
            guard element == .int8 || wq.scales.count == 1 else {
                throw MobileNetError(.unsupported, "\(spec.name): per-channel uint8 weights are not supported")
            }
            var zeroPoints: [Int32] = []
            for z in wq.zeroPoints {
                let ok = element == .int8 ? z == 0 : (0...255).contains(z)
                guard ok else {
                    throw MobileNetError.format("\(spec.name): a weight zero point is \(z) (\(element.name) weights "
                                                + (element == .int8 ? "must have 0)" : "need 0...255)"))
                }
                zeroPoints.append(Int32(z))
            }
            let scales = wq.scales.count == 1 ? [Float](repeating: wq.scales[0], count: channels) : wq.scales
            let zeros = zeroPoints.count == 1 ? [Int32](repeating: zeroPoints[0], count: channels) : zeroPoints
            for c in 0..<channels {
                let m = Double(input.scale) * Double(scales[c]) / Double(output.scale)
                guard m < Double(1 << 30) else {
                    throw MobileNetError(.unsupported, "\(spec.name): channel \(c)'s multiplier \(m) is too large")
                }
            }
            let weights = TFLiteQuantizedWeights.offsetValues(spec, data: wData, element: element, zeroPoints: zeros)
            let bias = (0..<channels).map { bData.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self) }
            let (lower, upper) = QuantizedNetwork.activationBounds(relu6: layer.activation == .relu6, output: output,
                                                                   element: element)
            layers.append(Layer(spec: spec, input: input, output: output, weights: weights, weightScales: scales,
                                bias: bias.map { Int32(littleEndian: $0) }, lower: lower, upper: upper))
        }
        self.init(element: element, architecture: net.architecture, input: try affine(net.quantizedInput),
                  layers: layers)
    }
}

/// TFLite's weight layouts (OHWI for CONV_2D, 1HWC for DEPTHWISE_CONV_2D)
/// rearranged into QuantizedNetwork.Layer's, minus the zero points.
enum TFLiteQuantizedWeights {
    static func offsetValues(_ spec: LayerSpec, data: UnsafeRawBufferPointer, element: QuantizedNetwork.Element,
                             zeroPoints: [Int32]) -> [Int16] {
        let bytes = data.bindMemory(to: UInt8.self)
        func value(_ i: Int, channel: Int) -> Int16 {
            let raw = element == .int8 ? Int32(Int8(bitPattern: bytes[i])) : Int32(bytes[i])
            return Int16(raw - zeroPoints[channel])
        }
        let cin = spec.inputChannels, cout = spec.outputChannels
        var out = [Int16](repeating: 0, count: data.count)
        switch spec.type {
        case .depthwise3x3:
            for i in 0..<9 * cout { out[i] = value(i, channel: i % cout) }
        case .conv3x3:
            for co in 0..<cout {
                for tap in 0..<9 {
                    for ci in 0..<cin { out[(tap * cin + ci) * cout + co] = value((co * 9 + tap) * cin + ci, channel: co) }
                }
            }
        default:
            for co in 0..<cout {
                for ci in 0..<cin { out[ci * cout + co] = value(co * cin + ci, channel: co) }
            }
        }
        return out
    }
}
