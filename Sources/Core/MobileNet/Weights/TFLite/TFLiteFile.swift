/// The parts of a TFLite flatbuffer (schema.fbs, file identifier "TFL3")
/// that a MobileNet needs, read through FlatBuffer and checked for internal
/// consistency: every tensor, buffer and opcode index in range, shapes
/// non-negative with a checked element count, quantization vectors of one
/// length and finite positive scales, tensor data exactly as long as its
/// shape and type say. The graph's meaning is TFLiteMobileNet's job.
struct TFLiteFile {
    static let identifier: [UInt8] = Array("TFL3".utf8)
    /// Far beyond MobileNet's 90 tensors and 31 operators; bounds the work a
    /// hostile file can ask for before it is refused.
    static let maxTensors = 10_000, maxOperators = 10_000, maxRank = 8

    enum TensorType: UInt8 {
        case float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, bool = 6, int16 = 7,
             complex64 = 8, int8 = 9

        var size: Int {
            switch self {
            case .float32, .int32: return 4
            case .float16, .int16: return 2
            case .uint8, .int8, .bool: return 1
            case .int64, .complex64: return 8
            case .string: return 1
            }
        }
        var name: String { String(describing: self) }
    }

    struct Quantization {
        let scales: [Float]
        let zeroPoints: [Int64]
        let dimension: Int
    }

    struct Tensor {
        let name: String
        let shape: [Int]
        let elementCount: Int
        let type: TensorType
        /// The tensor's constant data (its buffer's bytes), nil for activations.
        let data: UnsafeRawBufferPointer?
        let quantization: Quantization?
    }

    struct Operator {
        /// The builtin operator code (TFLite's BuiltinOperator).
        let code: Int32
        let inputs: [Int32]
        let outputs: [Int32]
        let options: FlatTable?
    }

    let tensors: [Tensor]
    let operators: [Operator]
    let inputs: [Int32]
    let outputs: [Int32]
    /// The `metadata` entries: name -> buffer bytes.
    let metadata: [String: UnsafeRawBufferPointer]

    static func isTFLite(_ prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.count >= 8 && Array(prefix[4..<8]) == identifier
    }

    /// Parses `bytes` (which must outlive the result: tensors point into it).
    init(_ bytes: UnsafeRawBufferPointer) throws {
        let fb = FlatBuffer(bytes: bytes)
        guard TFLiteFile.isTFLite(bytes) else { throw MobileNetError.format("not a TFLite file (no TFL3 identifier)") }
        let model = try fb.root("the TFLite model")
        let version = try model.scalar(0, UInt32.self, default: 0)
        guard version == 3 else {
            throw MobileNetError(.unsupported, "TFLite schema version \(version) is not supported (only 3)")
        }
        let buffers = try TFLiteFile.buffers(model)
        guard let codesVector = try model.vector(1, elementSize: 4, "operator_codes") else {
            throw MobileNetError.format("the TFLite model has no operator codes")
        }
        guard codesVector.count <= TFLiteFile.maxOperators else {
            throw MobileNetError.format("the TFLite model has \(codesVector.count) operator codes")
        }
        var codes: [Int32] = []
        for i in 0..<codesVector.count {
            let code = try codesVector.table(i)
            let deprecated = Int32(try code.scalar(0, Int8.self, default: 0))
            let builtin = try code.scalar(3, Int32.self, default: 0)
            if try code.string(1, "custom_code") != nil, max(deprecated, builtin) == TFLiteOp.custom {
                let name = try code.string(1, "custom_code") ?? ""
                throw MobileNetError(.unsupported, "the TFLite model uses the custom operator '\(name)'")
            }
            // Files from before schema 3a keep the code in the deprecated byte.
            codes.append(max(deprecated, builtin))
        }
        guard let subgraphs = try model.vector(2, elementSize: 4, "subgraphs"), subgraphs.count >= 1 else {
            throw MobileNetError.format("the TFLite model has no subgraph")
        }
        guard subgraphs.count == 1 else {
            throw MobileNetError(.unsupported, "the TFLite model has \(subgraphs.count) subgraphs (a MobileNet has 1)")
        }
        let graph = try subgraphs.table(0)
        guard let tensorVector = try graph.vector(0, elementSize: 4, "tensors") else {
            throw MobileNetError.format("the TFLite subgraph has no tensors")
        }
        guard tensorVector.count <= TFLiteFile.maxTensors else {
            throw MobileNetError.format("the TFLite subgraph has \(tensorVector.count) tensors")
        }
        var tensors: [Tensor] = []
        for i in 0..<tensorVector.count {
            tensors.append(try TFLiteFile.tensor(try tensorVector.table(i), index: i, buffers: buffers))
        }
        self.tensors = tensors
        func checkIndices(_ list: [Int32], _ what: String) throws {
            for t in list where t < 0 || Int(t) >= tensors.count {
                throw MobileNetError.format("\(what) names tensor \(t) of \(tensors.count)")
            }
        }
        inputs = try graph.int32s(1, "inputs", limit: TFLiteFile.maxTensors) ?? []
        outputs = try graph.int32s(2, "outputs", limit: TFLiteFile.maxTensors) ?? []
        try checkIndices(inputs, "the subgraph's inputs")
        try checkIndices(outputs, "the subgraph's outputs")
        var operators: [Operator] = []
        if let ops = try graph.vector(3, elementSize: 4, "operators") {
            guard ops.count <= TFLiteFile.maxOperators else {
                throw MobileNetError.format("the TFLite subgraph has \(ops.count) operators")
            }
            for i in 0..<ops.count {
                let op = try ops.table(i)
                let index = Int(try op.scalar(0, UInt32.self, default: 0))
                guard index < codes.count else {
                    throw MobileNetError.format("operator \(i) names opcode \(index) of \(codes.count)")
                }
                let ins = try op.int32s(1, "inputs", limit: 16) ?? []
                let outs = try op.int32s(2, "outputs", limit: 16) ?? []
                // -1 marks an omitted optional input.
                try checkIndices(ins.filter { $0 != -1 }, "operator \(i)'s inputs")
                try checkIndices(outs, "operator \(i)'s outputs")
                operators.append(Operator(code: codes[index], inputs: ins, outputs: outs,
                                          options: try op.table(4, "builtin_options")))
            }
        }
        self.operators = operators
        var metadata: [String: UnsafeRawBufferPointer] = [:]
        if let entries = try model.vector(6, elementSize: 4, "metadata") {
            for i in 0..<min(entries.count, 64) {
                let entry = try entries.table(i)
                let buffer = Int(try entry.scalar(1, UInt32.self, default: 0))
                guard let name = try entry.string(0, "name"), buffer < buffers.count else { continue }
                metadata[name] = buffers[buffer]
            }
        }
        self.metadata = metadata
    }

    /// Each buffer's bytes (empty when it has none); data outside the
    /// flatbuffer (the >2 GB layout's offset and size) is refused.
    private static func buffers(_ model: FlatTable) throws -> [UnsafeRawBufferPointer?] {
        guard let vector = try model.vector(4, elementSize: 4, "buffers") else { return [] }
        guard vector.count <= maxTensors + 1 else {
            throw MobileNetError.format("the TFLite model has \(vector.count) buffers")
        }
        var result: [UnsafeRawBufferPointer?] = []
        for i in 0..<vector.count {
            let buffer = try vector.table(i)
            if try buffer.scalar(1, UInt64.self, default: 0) > 1 {
                throw MobileNetError(.unsupported, "buffer \(i) keeps its data outside the flatbuffer (not supported)")
            }
            guard let data = try buffer.vector(0, elementSize: 1, "buffer \(i)"), data.count > 0 else {
                result.append(nil)
                continue
            }
            result.append(UnsafeRawBufferPointer(rebasing: model.buffer.bytes[data.start..<data.start + data.count]))
        }
        return result
    }

    private static func tensor(_ table: FlatTable, index: Int,
                               buffers: [UnsafeRawBufferPointer?]) throws -> Tensor {
        let name = try table.string(3, "name") ?? "tensor \(index)"
        let label = "tensor \(index) '\(name)'"
        let dims = try table.int32s(0, "shape", limit: maxRank) ?? []
        var count = 1
        for d in dims {
            guard d >= 0 else { throw MobileNetError.format("\(label) has a negative dimension \(d)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= Int(Int32.max) else {
                throw MobileNetError.format("\(label): its shape \(dims) has too many elements")
            }
            count = product
        }
        let rawType = try table.scalar(1, UInt8.self, default: 0)
        guard let type = TensorType(rawValue: rawType) else {
            throw MobileNetError(.unsupported, "\(label) has tensor type \(rawType), which is not supported")
        }
        let bufferIndex = Int(try table.scalar(2, UInt32.self, default: 0))
        guard bufferIndex < max(buffers.count, 1) else {
            throw MobileNetError.format("\(label) names buffer \(bufferIndex) of \(buffers.count)")
        }
        let data = bufferIndex < buffers.count ? buffers[bufferIndex] : nil
        if let data {
            guard type != .string, data.count == count * type.size else {
                throw MobileNetError.format("\(label) holds \(data.count) bytes; its shape \(dims) of \(type.name) "
                                            + "needs \(count * type.size)")
            }
        }
        var quantization: Quantization?
        if let q = try table.table(4, "quantization") {
            let scaleVector = try q.vector(2, elementSize: 4, "scale")
            let zeroVector = try q.vector(3, elementSize: 8, "zero_point")
            let scales = try (0..<(scaleVector?.count ?? 0)).map {
                Float(bitPattern: try scaleVector!.load($0, UInt32.self))
            }
            let zeros = try (0..<(zeroVector?.count ?? 0)).map { try zeroVector!.load($0, Int64.self) }
            if !scales.isEmpty {
                guard zeros.count == scales.count else {
                    throw MobileNetError.format("\(label) has \(scales.count) scales and \(zeros.count) zero points")
                }
                for s in scales where !(s.isFinite && s > 0) {
                    throw MobileNetError.format("\(label) has the quantization scale \(s) (must be finite and > 0)")
                }
                let dimension = Int(try q.scalar(6, Int32.self, default: 0))
                if scales.count > 1 {
                    guard dimension >= 0, dimension < dims.count, Int(dims[dimension]) == scales.count else {
                        throw MobileNetError.format("\(label) has \(scales.count) scales for dimension \(dimension) "
                                                    + "of its shape \(dims)")
                    }
                }
                quantization = Quantization(scales: scales, zeroPoints: zeros, dimension: dimension)
            }
        }
        return Tensor(name: name, shape: dims.map { Int($0) }, elementCount: count, type: type, data: data,
                      quantization: quantization)
    }
}

/// The builtin operator codes a MobileNet v1 uses (TFLite's BuiltinOperator).
enum TFLiteOp {
    static let averagePool2D: Int32 = 1, conv2D: Int32 = 3, depthwiseConv2D: Int32 = 4, dequantize: Int32 = 6,
               reshape: Int32 = 22, softmax: Int32 = 25, squeeze: Int32 = 43, quantize: Int32 = 114,
               custom: Int32 = 32

    static func name(_ code: Int32) -> String {
        switch code {
        case averagePool2D: return "AVERAGE_POOL_2D"
        case conv2D: return "CONV_2D"
        case depthwiseConv2D: return "DEPTHWISE_CONV_2D"
        case dequantize: return "DEQUANTIZE"
        case reshape: return "RESHAPE"
        case softmax: return "SOFTMAX"
        case squeeze: return "SQUEEZE"
        case quantize: return "QUANTIZE"
        case custom: return "CUSTOM"
        default: return "builtin operator \(code)"
        }
    }
}
