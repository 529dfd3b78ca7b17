/// The `__metadata__` of a model file (see docs/weights-format.md), checked.
public struct ModelMetadata: Sendable {
    public let architecture: String
    public let variant: Variant
    public let widthMultiplier: Double
    public let resolution: Int
    public let numClasses: Int
    public let batchNormEpsilon: Double
    /// Network input = (pixel - inputMean) * inputScale, per RGB channel.
    public let inputMean: [Float]
    public let inputScale: [Float]
    public let labels: [String]?
    public let source: String?
    public let license: String?

    /// A .tflite file's: TF-Slim's input normalization ((pixel - 127.5) /
    /// 127.5, what TensorFlow's MobileNet files were trained with), BatchNorm
    /// already folded (epsilon 0), and the bundled ImageNet labels for a
    /// 1001-class file.
    init(tfliteWidthMultiplier: Double, resolution: Int, numClasses: Int, source: String) {
        architecture = "mobilenet_v1"
        variant = .separable
        widthMultiplier = tfliteWidthMultiplier
        self.resolution = resolution
        self.numClasses = numClasses
        batchNormEpsilon = 0
        inputMean = [127.5, 127.5, 127.5]
        inputScale = [Float](repeating: Float(1 / 127.5), count: 3)
        labels = numClasses == ImageNetLabels.count ? ImageNetLabels.all : nil
        self.source = source
        license = nil
    }

    init(_ fields: [String: String]) throws {
        func required(_ key: String) throws -> String {
            guard let value = fields[key] else { throw MobileNetError.format("metadata has no '\(key)'") }
            return value
        }
        func number(_ key: String) throws -> Double {
            let text = try required(key)
            guard let value = NumberText.decimal(text) else {
                throw MobileNetError.format(
                    "metadata '\(key)' is '\(NumberText.quoted(text))', not a finite number (in JSON's number form, zero or a normal float)")
            }
            return value
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws -> Int {
            let text = try required(key)
            guard let value = NumberText.integer(text), range.contains(value) else {
                throw MobileNetError.format("metadata '\(key)' is '\(NumberText.quoted(text))', not an integer in \(range)")
            }
            return value
        }
        func triple(_ key: String) throws -> [Float] {
            let json = try JSONParser.parse(try required(key), context: "metadata '\(key)'")
            guard case let .array(items) = json, items.count == 3 else {
                throw MobileNetError.format("metadata '\(key)' is not a JSON array of 3 numbers")
            }
            return try items.map { item in
                // The JSON parser already holds numbers to RFC 8259's grammar.
                guard case let .number(v, _) = item, v.isFinite, abs(v) < 1e6, v == 0 || Float(v).isNormal else {
                    throw MobileNetError.format(
                        "metadata '\(key)' holds a value that is not a finite number, zero or normal, below 1e6")
                }
                return Float(v)
            }
        }

        architecture = try required("architecture")
        guard architecture == "mobilenet_v1" else {
            throw MobileNetError(.unsupported, "architecture '\(architecture)' is not supported (only mobilenet_v1)")
        }
        if let name = fields["variant"] {
            guard let v = Variant(name: name) else {
                throw MobileNetError.format("metadata 'variant' is '\(name)', not separable, full_conv or shallow")
            }
            variant = v
        } else {
            variant = .separable
        }
        widthMultiplier = try number("width_multiplier")
        guard widthMultiplier > 0, widthMultiplier <= 4 else {
            throw MobileNetError.format("metadata 'width_multiplier' \(widthMultiplier) is outside (0, 4]")
        }
        resolution = try integer("resolution", 1...NetworkInfo.maxInputSide)
        numClasses = try integer("num_classes", 1...Architecture.maxClasses)
        batchNormEpsilon = try number("batchnorm_epsilon")
        guard batchNormEpsilon >= 0, batchNormEpsilon < 1 else {
            throw MobileNetError.format("metadata 'batchnorm_epsilon' \(batchNormEpsilon) is outside [0, 1)")
        }
        inputMean = try triple("input_mean")
        inputScale = try triple("input_scale")
        if let text = fields["labels"] {
            let json = try JSONParser.parse(text, context: "metadata 'labels'")
            guard case let .array(items) = json else {
                throw MobileNetError.format("metadata 'labels' is \(json.kindName), not an array of strings")
            }
            guard items.count == numClasses else {
                throw MobileNetError.format("metadata 'labels' has \(items.count) entries for \(numClasses) classes")
            }
            labels = try items.map { item in
                guard case let .string(s) = item else {
                    throw MobileNetError.format("metadata 'labels' holds \(item.kindName), not a string")
                }
                guard !s.utf8.contains(0) else { throw MobileNetError.format("a label contains a NUL character") }
                return s
            }
        } else {
            labels = nil
        }
        source = fields["source"]
        license = fields["license"]
    }
}
