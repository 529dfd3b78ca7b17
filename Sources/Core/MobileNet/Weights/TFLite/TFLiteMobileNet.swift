/// A TFLite file's graph, checked to be a MobileNet v1 before anything runs:
///   [QUANTIZE] CONV_2D 3x3/2, 13 x (DEPTHWISE_CONV_2D 3x3, CONV_2D 1x1),
///   AVERAGE_POOL_2D over the whole map, CONV_2D 1x1 (logits),
///   RESHAPE or SQUEEZE, [SOFTMAX], [DEQUANTIZE]
/// each op reading the previous one's output, with the strides, SAME
/// padding, fused ReLU6 and channel counts of some width multiplier, one
/// element type for every activation (float32, int8 or uint8) and weights to
/// match. The result lists, per layer of our Architecture, the file's
/// tensors, so that the float and the quantized compile steps read the same
/// checked description.
struct TFLiteMobileNet {
    enum Precision: Equatable {
        case float32, int8, uint8

        var name: String {
            switch self {
            case .float32: return "float32"
            case .int8: return "int8"
            case .uint8: return "uint8"
            }
        }
    }

    enum Activation { case none, relu6 }

    /// One of our layers as the file holds it.
    struct Layer {
        let input: TFLiteFile.Tensor
        let output: TFLiteFile.Tensor
        let weights: TFLiteFile.Tensor?
        let bias: TFLiteFile.Tensor?
        let activation: Activation
    }

    let precision: Precision
    let architecture: Architecture
    let inputHeight: Int
    let inputWidth: Int
    /// Aligned with architecture.layers.
    let layers: [Layer]
    /// The network input as the first convolution reads it (the QUANTIZE
    /// op's output when the file takes floats).
    let quantizedInput: TFLiteFile.Tensor

    init(_ file: TFLiteFile) throws {
        guard file.inputs.count == 1, file.outputs.count == 1 else {
            throw MobileNetError(.unsupported, "the TFLite graph has \(file.inputs.count) inputs and "
                                 + "\(file.outputs.count) outputs (a MobileNet has 1 and 1)")
        }
        var ops = file.operators[...]
        let opList = file.operators.prefix(40).map { TFLiteOp.name($0.code) }.joined(separator: ", ")
        func unsupported(_ what: String) -> MobileNetError {
            MobileNetError(.unsupported, "the TFLite graph is not a MobileNet v1 (\(what); its operators: \(opList))")
        }
        var current = Int(file.inputs[0])
        let graphInput = file.tensors[current]
        guard graphInput.shape.count == 4, graphInput.shape[0] == 1, graphInput.shape[3] == 3,
              graphInput.shape[1] >= 1, graphInput.shape[2] >= 1,
              graphInput.shape[1] <= NetworkInfo.maxInputSide, graphInput.shape[2] <= NetworkInfo.maxInputSide else {
            throw unsupported("its input has shape \(graphInput.shape), not [1, height, width, 3]")
        }
        inputHeight = graphInput.shape[1]
        inputWidth = graphInput.shape[2]

        func next(_ code: Int32, _ role: String) throws -> TFLiteFile.Operator {
            guard let op = ops.first, op.code == code else {
                let found = ops.first.map { TFLiteOp.name($0.code) } ?? "the end of the graph"
                throw unsupported("expected \(TFLiteOp.name(code)) for \(role), found \(found)")
            }
            guard let first = op.inputs.first, Int(first) == current, op.outputs.count == 1 else {
                throw unsupported("\(TFLiteOp.name(code)) for \(role) does not read the previous operator's output")
            }
            ops = ops.dropFirst()
            current = Int(op.outputs[0])
            return op
        }
        func optional(_ code: Int32) -> Bool { ops.first?.code == code }

        if optional(TFLiteOp.quantize) {
            guard graphInput.type == .float32 else { throw unsupported("QUANTIZE of a \(graphInput.type.name) input") }
            _ = try next(TFLiteOp.quantize, "the input")
        }
        quantizedInput = file.tensors[current]
        let activationType = quantizedInput.type
        switch activationType {
        case .float32: precision = .float32
        case .int8: precision = .int8
        case .uint8: precision = .uint8
        default: throw unsupported("its activations are \(activationType.name)")
        }

        // Channel counts give the width multiplier; our Architecture must
        // reproduce every one of them.
        let convOps = file.operators.filter { $0.code == TFLiteOp.conv2D || $0.code == TFLiteOp.depthwiseConv2D }
        func outChannels(_ op: TFLiteFile.Operator) -> Int? {
            guard op.inputs.count >= 2, op.inputs[1] >= 0 else { return nil }
            let w = file.tensors[Int(op.inputs[1])]
            guard w.shape.count == 4 else { return nil }
            return op.code == TFLiteOp.depthwiseConv2D ? w.shape[3] : w.shape[0]
        }
        guard convOps.count == 28, let first = outChannels(convOps[0]), let last = outChannels(convOps[27]),
              let lastBlock = outChannels(convOps[26]) else {
            throw unsupported("it has \(convOps.count) convolutions (a MobileNet v1 has 28)")
        }
        let candidates = [Double(first) / 32, Double(lastBlock) / 1024, 0.25, 0.5, 0.75, 1.0]
        var found: Architecture?
        for alpha in candidates where alpha > 0 && alpha <= 4 {
            guard let a = try? Architecture(variant: .separable, widthMultiplier: alpha, numClasses: last) else {
                continue
            }
            let expected = a.layers.filter { $0.type != .averagePool }.map(\.outputChannels)
            let actual = convOps.map { outChannels($0) ?? -1 }
            if expected == actual { found = a; break }
        }
        guard let architecture = found else {
            throw unsupported("its channel counts are not those of any width multiplier")
        }
        self.architecture = architecture

        var layers: [Layer] = []
        var height = inputHeight, width = inputWidth
        for spec in architecture.layers {
            let g = spec.geometry(inputHeight: height, inputWidth: width)
            let input = file.tensors[current]
            let layer: Layer
            switch spec.type {
            case .conv3x3, .depthwise3x3, .pointwise1x1, .fullyConnected:
                let depthwise = spec.type == .depthwise3x3
                let op = try next(depthwise ? TFLiteOp.depthwiseConv2D : TFLiteOp.conv2D, spec.name)
                layer = try TFLiteMobileNet.convolution(op, spec, g, file: file, input: input,
                                                        type: activationType, unsupported: unsupported)
            case .averagePool:
                let op = try next(TFLiteOp.averagePool2D, spec.name)
                let o = try TFLiteOptions(op, file: file)
                guard o.filterHeight == g.inputHeight, o.filterWidth == g.inputWidth, o.padding == .valid,
                      o.activation == 0 else {
                    throw unsupported("AVERAGE_POOL_2D is \(o.filterHeight)x\(o.filterWidth), not over the "
                                      + "\(g.inputHeight)x\(g.inputWidth) map with VALID padding and no activation")
                }
                layer = Layer(input: input, output: file.tensors[current], weights: nil, bias: nil,
                              activation: .none)
            }
            let expectedShape = [1, g.outputHeight, g.outputWidth, spec.outputChannels]
            guard layer.output.shape == expectedShape, layer.output.type == activationType else {
                throw unsupported("\(spec.name)'s output is \(layer.output.type.name) \(layer.output.shape), "
                                  + "not \(activationType.name) \(expectedShape)")
            }
            layers.append(layer)
            height = g.outputHeight
            width = g.outputWidth
        }
        self.layers = layers
        if optional(TFLiteOp.reshape) { _ = try next(TFLiteOp.reshape, "the logits' reshape") }
        else { _ = try next(TFLiteOp.squeeze, "the logits' reshape") }
        guard file.tensors[current].elementCount == architecture.numClasses else {
            throw unsupported("the reshaped logits have shape \(file.tensors[current].shape)")
        }
        if optional(TFLiteOp.softmax) { _ = try next(TFLiteOp.softmax, "the softmax") }
        if precision != .float32, optional(TFLiteOp.dequantize) { _ = try next(TFLiteOp.dequantize, "the output") }
        guard ops.isEmpty, current == Int(file.outputs[0]) else {
            throw unsupported("operators follow the logits, or the graph's output is not their result")
        }
    }

    private static func convolution(_ op: TFLiteFile.Operator, _ spec: LayerSpec, _ g: LayerGeometry,
                                    file: TFLiteFile, input: TFLiteFile.Tensor, type: TFLiteFile.TensorType,
                                    unsupported: (String) -> MobileNetError) throws -> Layer {
        guard op.inputs.count == 3, op.inputs[1] >= 0, op.inputs[2] >= 0 else {
            throw unsupported("\(spec.name) has no weights or no bias")
        }
        let weights = file.tensors[Int(op.inputs[1])], bias = file.tensors[Int(op.inputs[2])]
        let depthwise = spec.type == .depthwise3x3
        let kernel = spec.type == .conv3x3 || depthwise ? 3 : 1
        let expected = depthwise ? [1, 3, 3, spec.outputChannels]
            : [spec.outputChannels, kernel, kernel, spec.inputChannels]
        guard weights.shape == expected, weights.data != nil else {
            throw unsupported("\(spec.name)'s weights have shape \(weights.shape), not \(expected) constants")
        }
        guard bias.shape == [spec.outputChannels], bias.data != nil else {
            throw unsupported("\(spec.name)'s bias has shape \(bias.shape), not [\(spec.outputChannels)] constants")
        }
        let weightType: [TFLiteFile.TensorType] = type == .float32 ? [.float32] : [type]
        let biasType: TFLiteFile.TensorType = type == .float32 ? .float32 : .int32
        guard weightType.contains(weights.type), bias.type == biasType else {
            throw MobileNetError(.unsupported, "\(spec.name) has \(weights.type.name) weights and \(bias.type.name) "
                                 + "bias with \(type.name) activations (hybrid and float16 files are not supported)")
        }
        let o = try TFLiteOptions(op, file: file)
        let sameOrPointwise = o.padding == .same || kernel == 1
        guard !depthwise || o.depthMultiplier <= 1 else {
            throw unsupported("\(spec.name) has depth multiplier \(o.depthMultiplier) (a MobileNet v1 has 1)")
        }
        guard o.strideH == spec.stride, o.strideW == spec.stride, sameOrPointwise, o.dilationH == 1,
              o.dilationW == 1 else {
            throw unsupported("\(spec.name) has strides \(o.strideH)x\(o.strideW), padding \(o.padding), dilation "
                              + "\(o.dilationH)x\(o.dilationW); expected stride \(spec.stride), SAME, no dilation")
        }
        let logits = spec.type == .fullyConnected
        guard o.activation == (logits ? 0 : 3) else {
            throw unsupported("\(spec.name) has fused activation \(o.activation), expected "
                              + (logits ? "none" : "RELU6"))
        }
        return Layer(input: input, output: file.tensors[Int(op.outputs[0])], weights: weights, bias: bias,
                     activation: logits ? .none : .relu6)
    }
}

/// The builtin options a MobileNet's operators carry (Conv2DOptions,
/// DepthwiseConv2DOptions, Pool2DOptions), with schema defaults.
struct TFLiteOptions {
    enum Padding: Int8 { case same = 0, valid = 1 }
    var padding = Padding.same
    var strideW = 1, strideH = 1
    var dilationW = 1, dilationH = 1
    var depthMultiplier = 1
    var filterWidth = 0, filterHeight = 0
    var activation: Int8 = 0

    init(_ op: TFLiteFile.Operator, file: TFLiteFile) throws {
        guard let t = op.options else { return }
        func int(_ i: Int, _ d: Int32 = 0) throws -> Int { Int(try t.scalar(i, Int32.self, default: d)) }
        let rawPadding = try t.scalar(0, Int8.self, default: 0)
        guard let p = Padding(rawValue: rawPadding) else {
            throw MobileNetError.format("\(TFLiteOp.name(op.code)) has padding \(rawPadding)")
        }
        padding = p
        switch op.code {
        case TFLiteOp.conv2D:
            strideW = try int(1); strideH = try int(2)
            activation = try t.scalar(3, Int8.self, default: 0)
            dilationW = try int(4, 1); dilationH = try int(5, 1)
        case TFLiteOp.depthwiseConv2D:
            strideW = try int(1); strideH = try int(2)
            depthMultiplier = try int(3)
            activation = try t.scalar(4, Int8.self, default: 0)
            dilationW = try int(5, 1); dilationH = try int(6, 1)
        case TFLiteOp.averagePool2D:
            strideW = try int(1); strideH = try int(2)
            filterWidth = try int(3); filterHeight = try int(4)
            activation = try t.scalar(5, Int8.self, default: 0)
        default:
            break
        }
    }
}
