/// Writes a quantized MobileNet v1 as a TFLite flatbuffer in the layout
/// TensorFlow's converter gives a full-integer model with float input and
/// output: QUANTIZE, CONV_2D 3x3/2, 13 x (DEPTHWISE_CONV_2D, CONV_2D 1x1),
/// AVERAGE_POOL_2D over the map, CONV_2D logits, RESHAPE, DEQUANTIZE; int8
/// activations, per-channel int8 weights, int32 bias. Our loader and
/// LiteRT both read it. The model's own metadata (labels, normalization,
/// source) rides in a `metadata` entry named `libmobilenet` as a JSON
/// object, which other readers ignore.
enum TFLiteInt8Writer {
    static let metadataName = "libmobilenet"

    /// Operator versions as TF 2.21's converter writes them for int8.
    private static let opcodes: [(code: Int32, version: Int32)] = [
        (TFLiteOp.quantize, 1), (TFLiteOp.conv2D, 3), (TFLiteOp.depthwiseConv2D, 3),
        (TFLiteOp.averagePool2D, 2), (TFLiteOp.reshape, 1), (TFLiteOp.dequantize, 2),
    ]

    private enum TensorType: UInt8 { case float32 = 0, int32 = 2, int8 = 9 }

    private struct Graph {
        var tensors: [FlatNode] = []
        var buffers: [FlatNode] = [FlatNode([])]  // buffer 0: empty, for activations
        var operators: [FlatNode] = []

        mutating func tensor(_ name: String, shape: [Int], type: TensorType, data: [UInt8]? = nil,
                             scales: [Float]? = nil, zeroPoints: [Int64]? = nil, dimension: Int32 = 0) -> Int32 {
            var fields: [(Int, FlatNode.Field)] = [
                (0, .int32s(shape.map { Int32($0) })), (1, .u8(type.rawValue)), (3, .string(name)),
            ]
            if let data {
                fields.append((2, .u32(UInt32(buffers.count))))
                buffers.append(FlatNode([(0, .bytes(data))]))
            }
            if let scales, let zeroPoints {
                fields.append((4, .table(FlatNode([(2, .floats(scales)), (3, .int64s(zeroPoints)),
                                                   (6, .i32(dimension))]))))
            }
            tensors.append(FlatNode(fields))
            return Int32(tensors.count - 1)
        }

        mutating func op(_ code: Int32, inputs: [Int32], outputs: [Int32], optionsType: UInt8 = 0,
                         options: FlatNode? = nil) {
            let index = TFLiteInt8Writer.opcodes.firstIndex { $0.code == code }!
            var fields: [(Int, FlatNode.Field)] = [
                (0, .u32(UInt32(index))), (1, .int32s(inputs)), (2, .int32s(outputs)),
            ]
            if let options { fields += [(3, .u8(optionsType)), (4, .table(options))] }
            operators.append(FlatNode(fields))
        }
    }

    private static func bytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.count * MemoryLayout<T>.size)
        for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// `outputs[i]` is the quantization of layer i's output (the pool's must
    /// equal its input's, as TFLite requires).
    static func write(architecture: Architecture, resolution: Int, input: QuantizedNetwork.Affine,
                      convolutions: [QuantizedConvolution?], outputs: [QuantizedNetwork.Affine],
                      metadataJSON: String) -> [UInt8] {
        var g = Graph()
        func activation(_ name: String, _ shape: [Int], _ a: QuantizedNetwork.Affine) -> Int32 {
            g.tensor(name, shape: shape, type: .int8, scales: [a.scale], zeroPoints: [Int64(a.zeroPoint)])
        }
        let floatInput = g.tensor("input", shape: [1, resolution, resolution, 3], type: .float32)
        var current = activation("input_int8", [1, resolution, resolution, 3], input)
        g.op(TFLiteOp.quantize, inputs: [floatInput], outputs: [current])
        var height = resolution, width = resolution
        for (index, spec) in architecture.layers.enumerated() {
            let geometry = spec.geometry(inputHeight: height, inputWidth: width)
            let shape = [1, geometry.outputHeight, geometry.outputWidth, spec.outputChannels]
            let output = activation("MobilenetV1/\(spec.name)", shape, outputs[index])
            if let conv = convolutions[index] {
                let depthwise = spec.type == .depthwise3x3
                let k = spec.type == .conv3x3 || depthwise ? 3 : 1
                let weightShape = depthwise ? [1, 3, 3, spec.outputChannels]
                    : [spec.outputChannels, k, k, spec.inputChannels]
                let zeros = [Int64](repeating: 0, count: spec.outputChannels)
                let w = g.tensor("MobilenetV1/\(spec.name)/weights", shape: weightShape, type: .int8,
                                 data: conv.weights.map { UInt8(bitPattern: $0) }, scales: conv.weightScales,
                                 zeroPoints: zeros, dimension: depthwise ? 3 : 0)
                let b = g.tensor("MobilenetV1/\(spec.name)/bias", shape: [spec.outputChannels], type: .int32,
                                 data: bytes(conv.bias), scales: conv.biasScales, zeroPoints: zeros)
                let relu6: UInt8 = spec.type == .fullyConnected ? 0 : 3
                let stride = Int32(spec.stride)
                let options = depthwise
                    ? FlatNode([(0, .u8(0)), (1, .i32(stride)), (2, .i32(stride)), (3, .i32(1)), (4, .u8(relu6))])
                    : FlatNode([(0, .u8(0)), (1, .i32(stride)), (2, .i32(stride)), (3, .u8(relu6))])
                g.op(depthwise ? TFLiteOp.depthwiseConv2D : TFLiteOp.conv2D, inputs: [current, w, b],
                     outputs: [output], optionsType: depthwise ? 2 : 1, options: options)
            } else {
                // The global average pool: VALID over the whole map.
                g.op(TFLiteOp.averagePool2D, inputs: [current], outputs: [output], optionsType: 5,
                     options: FlatNode([(0, .u8(1)), (1, .i32(1)), (2, .i32(1)), (3, .i32(Int32(geometry.inputWidth))),
                                        (4, .i32(Int32(geometry.inputHeight))), (5, .u8(0))]))
            }
            current = output
            height = geometry.outputHeight
            width = geometry.outputWidth
        }
        let classes = architecture.numClasses
        let shapeConstant = g.tensor("logits_shape", shape: [2], type: .int32, data: bytes([Int32(1), Int32(classes)]))
        let reshaped = activation("MobilenetV1/Logits/Reshape", [1, classes], outputs[outputs.count - 1])
        g.op(TFLiteOp.reshape, inputs: [current, shapeConstant], outputs: [reshaped])
        let logits = g.tensor("logits", shape: [1, classes], type: .float32)
        g.op(TFLiteOp.dequantize, inputs: [reshaped], outputs: [logits])

        let metadataBuffer = UInt32(g.buffers.count)
        g.buffers.append(FlatNode([(0, .bytes(Array(metadataJSON.utf8)))]))
        let subgraph = FlatNode([
            (0, .tables(g.tensors)), (1, .int32s([floatInput])), (2, .int32s([logits])),
            (3, .tables(g.operators)), (4, .string("main")),
        ])
        let codes = opcodes.map { FlatNode([(0, .u8(UInt8($0.code))), (2, .i32($0.version)), (3, .i32($0.code))]) }
        let model = FlatNode([
            (0, .u32(3)), (1, .tables(codes)), (2, .tables([subgraph])),
            (3, .string("libmobilenet int8 quantizer")), (4, .tables(g.buffers)),
            (6, .tables([FlatNode([(0, .string(metadataName)), (1, .u32(metadataBuffer))])])),
        ])
        return FlatBufferBuilder.build(root: model, identifier: TFLiteFile.identifier)
    }
}
