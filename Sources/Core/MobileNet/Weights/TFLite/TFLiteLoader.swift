/// Loads a MobileNet v1 .tflite file: the whole file is read into memory
/// (a flatbuffer is addressed by offsets from anywhere to anywhere), parsed
/// and checked (TFLiteFile, TFLiteMobileNet), and turned into canonical
/// float parameters or a QuantizedNetwork; nothing points into the bytes
/// afterwards.
enum TFLiteLoader {
    /// FlatBuffers address at most 2 GiB.
    static let maxBytes = Int(Int32.max)

    enum Content {
        case float(CanonicalParameters)
        case quantized(QuantizedNetwork)
    }

    struct Loaded {
        let architecture: Architecture
        let metadata: ModelMetadata
        let content: Content
    }

    static func isTFLite(_ source: ByteSource) throws -> Bool {
        guard source.size >= 8 else { return false }
        var prefix = [UInt8](repeating: 0, count: 8)
        try prefix.withUnsafeMutableBytes { try source.read(offset: 0, count: 8, into: $0.baseAddress!) }
        return prefix.withUnsafeBytes { TFLiteFile.isTFLite($0) }
    }

    static func load(_ source: ByteSource) throws -> Loaded {
        guard source.size <= maxBytes else {
            throw MobileNetError.format("the TFLite file has \(source.size) bytes (a flatbuffer holds at most 2 GiB)")
        }
        return try source.withBytes(offset: 0, count: source.size) { bytes in
            let file = try TFLiteFile(UnsafeRawBufferPointer(bytes))
            let net = try TFLiteMobileNet(file)
            guard net.inputHeight == net.inputWidth else {
                throw MobileNetError(.unsupported, "the TFLite input is \(net.inputHeight)x\(net.inputWidth); "
                                     + "only square inputs are supported")
            }
            let own = try ownMetadata(file, net)
            // Channel counts tell a width multiplier only up to TF-Slim's
            // minimum depth (every alpha below 1/4 has 8 channels first);
            // our own metadata names the one the model was made with.
            let a = own?.architecture ?? net.architecture
            let metadata = own?.metadata
                ?? ModelMetadata(tfliteWidthMultiplier: a.widthMultiplier, resolution: net.inputHeight,
                                 numClasses: a.numClasses, source: "TFLite \(net.precision.name) file")
            let content: Content = net.precision == .float32
                ? .float(try TFLiteFloatParameters.canonical(net)) : .quantized(try QuantizedNetwork(net))
            return Loaded(architecture: a, metadata: metadata, content: content)
        }
    }

    /// The `libmobilenet` metadata entry our quantizer writes (a JSON object
    /// of the same fields as a safetensors `__metadata__`), checked against
    /// the graph; nil when the file has none.
    private static func ownMetadata(_ file: TFLiteFile, _ net: TFLiteMobileNet) throws
        -> (metadata: ModelMetadata, architecture: Architecture)? {
        guard let bytes = file.metadata[TFLiteInt8Writer.metadataName] else { return nil }
        let json = try JSONParser.parse(bytes.bindMemory(to: UInt8.self), context: "the TFLite libmobilenet metadata")
        guard case let .object(members) = json else {
            throw MobileNetError.format("the TFLite libmobilenet metadata is \(json.kindName), not an object")
        }
        var fields: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw MobileNetError.format("the TFLite libmobilenet metadata's '\(key)' is not a string")
            }
            fields[key] = text
        }
        let m = try ModelMetadata(fields)
        let a = net.architecture
        let named = try? Architecture(variant: m.variant, widthMultiplier: m.widthMultiplier, numClasses: m.numClasses)
        guard let named, m.variant == .separable, m.resolution == net.inputHeight,
              named.layers.map(\.outputChannels) == a.layers.map(\.outputChannels) else {
            throw MobileNetError.format("the TFLite libmobilenet metadata (\(m.numClasses) classes, width "
                                        + "\(m.widthMultiplier), resolution \(m.resolution)) does not match the graph "
                                        + "(\(a.numClasses) classes, \(a.layers.map(\.outputChannels).prefix(3)) ... "
                                        + "channels, resolution \(net.inputHeight))")
        }
        return (m, named)
    }
}
