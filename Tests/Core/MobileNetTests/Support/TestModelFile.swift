@testable import MobileNet

/// Builds safetensors model files in memory: valid random-weight models, and
/// the malformed variations the loader must reject.
struct TestModelFile {
    var metadata: [String: String]
    /// (name, dtype, shape, little-endian bytes), in file order.
    var tensors: [(name: String, dtype: String, shape: [Int], data: [UInt8])]

    init(variant: Variant = .separable, alpha: Double = 0.25, classes: Int = 10, resolution: Int = 32, seed: UInt64 = 1) {
        let architecture = try! Architecture(variant: variant, widthMultiplier: alpha, numClasses: classes)
        var state = seed
        func random() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 40) / Double(1 << 24))  // [0, 1)
        }
        tensors = NetworkCompiler.expectedTensors(architecture).map { name, shape in
            let count = shape.reduce(1, *)
            let values: [Float]
            if name.hasSuffix("moving_variance") || name.hasSuffix("gamma") {
                values = (0..<count).map { _ in 0.5 + random() }
            } else if name.hasSuffix("beta") || name.hasSuffix("moving_mean") || name.hasSuffix("biases") {
                values = (0..<count).map { _ in (random() - 0.5) * 0.2 }
            } else {
                let fanIn = Float(shape.dropLast().reduce(1, *) == 9 ? 9 : shape.dropLast().reduce(1, *))
                values = (0..<count).map { _ in (random() * 2 - 1) * (3 / fanIn).squareRoot() }
            }
            return (name, "F32", shape, TestModelFile.bytes(values))
        }
        metadata = [
            "architecture": "mobilenet_v1", "variant": variant.name, "width_multiplier": "\(alpha)",
            "resolution": "\(resolution)", "num_classes": "\(classes)", "batchnorm_epsilon": "0.001",
            "input_mean": "[127.5, 127.5, 127.5]", "input_scale": "[0.00784313725490196, 0.00784313725490196, 0.00784313725490196]",
            "labels": "[" + (0..<classes).map { "\"class \($0)\"" }.joined(separator: ",") + "]",
        ]
    }

    static func bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            let bits = v.bitPattern.littleEndian
            return [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The header JSON; `offsets` may override a tensor's data_offsets.
    func headerJSON(offsets: [String: (Int, Int)] = [:]) -> String {
        var parts: [String] = []
        let meta = metadata.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }
        parts.append("\"__metadata__\":{" + meta.joined(separator: ",") + "}")
        var cursor = 0
        for t in tensors {
            let (begin, end) = offsets[t.name] ?? (cursor, cursor + t.data.count)
            cursor += t.data.count
            let shape = t.shape.map(String.init).joined(separator: ",")
            parts.append("\(Self.quoted(t.name)):{\"dtype\":\"\(t.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(end)]}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func file(header: String, data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        var out: [UInt8] = []
        var length = UInt64(h.count)
        for _ in 0..<8 { out.append(UInt8(length & 0xFF)); length >>= 8 }
        return out + h + data
    }

    func bytes(offsets: [String: (Int, Int)] = [:]) -> [UInt8] {
        TestModelFile.file(header: headerJSON(offsets: offsets), data: tensors.flatMap { $0.data })
    }

    mutating func setFloat(_ tensor: String, index: Int, to value: Float) {
        let i = tensors.firstIndex { $0.name == tensor }!
        let b = TestModelFile.bytes([value])
        for j in 0..<4 { tensors[i].data[index * 4 + j] = b[j] }
    }
}

extension Model {
    /// Loads from an in-memory file.
    static func from(_ bytes: [UInt8], options: LoadOptions = LoadOptions(numThreads: 1)) throws -> Model {
        try bytes.withUnsafeBytes { try Model(bytes: $0, options: options) }
    }
}
