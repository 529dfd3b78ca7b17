import CMobileNetHeader
import MobileNet

/// Fills a caller's mobilenet_info from the core's NetworkInfo.
func fill(_ info: UnsafeMutablePointer<mobilenet_info>, from network: NetworkInfo) throws {
    guard network.layers.count <= Int(MOBILENET_MAX_LAYERS) else {
        throw MobileNetError(.internal, "network has \(network.layers.count) layers, more than MOBILENET_MAX_LAYERS")
    }
    var result = mobilenet_info()
    result.struct_size = MemoryLayout<mobilenet_info>.size
    result.variant = mobilenet_variant(UInt32(network.variant.rawValue))
    result.width_multiplier = Float(network.widthMultiplier)
    result.resolution = Int32(network.height)
    result.num_classes = Int32(network.numClasses)
    result.mult_adds = Int64(network.multAdds)
    result.parameters = Int64(network.parameters)
    result.num_layers = Int32(network.layers.count)
    withUnsafeMutableBytes(of: &result.layers) { raw in
        let rows = raw.bindMemory(to: mobilenet_layer_info.self)
        for (i, layer) in network.layers.enumerated() {
            var row = mobilenet_layer_info()
            withUnsafeMutableBytes(of: &row.name) { name in
                let bytes = Array(layer.spec.name.utf8.prefix(name.count - 1))
                for (j, byte) in bytes.enumerated() { name[j] = byte }
                name[bytes.count] = 0
            }
            row.type = mobilenet_layer_type(UInt32(layer.spec.type.rawValue))
            row.stride = Int32(layer.spec.stride)
            row.input_height = Int32(layer.inputHeight)
            row.input_width = Int32(layer.inputWidth)
            row.input_channels = Int32(layer.spec.inputChannels)
            row.output_height = Int32(layer.outputHeight)
            row.output_width = Int32(layer.outputWidth)
            row.output_channels = Int32(layer.spec.outputChannels)
            row.mult_adds = Int64(layer.multAdds)
            row.parameters = Int64(layer.parameters)
            rows[i] = row
        }
    }
    info.pointee = result
}

func checkInfoSize(_ info: UnsafeMutablePointer<mobilenet_info>?) throws -> UnsafeMutablePointer<mobilenet_info> {
    guard let info else { throw invalidArgument("info is NULL") }
    let expected = MemoryLayout<mobilenet_info>.size
    guard info.pointee.struct_size == expected else {
        throw invalidArgument("info->struct_size is \(info.pointee.struct_size), not sizeof(mobilenet_info) = \(expected)")
    }
    return info
}

@_cdecl("mobilenet_describe")
public func mobilenet_describe(_ variant: mobilenet_variant, _ widthMultiplier: Float, _ resolution: Int32,
                               _ numClasses: Int32, _ info: UnsafeMutablePointer<mobilenet_info>?) -> mobilenet_status {
    guarded("mobilenet_describe") {
        let info = try checkInfoSize(info)
        guard let kind = Variant(rawValue: Int(variant.rawValue)) else {
            throw invalidArgument("variant \(Int32(bitPattern: variant.rawValue)) is not a mobilenet_variant")
        }
        guard !widthMultiplier.isNaN else { throw invalidArgument("width multiplier is NaN") }
        let architecture = try Architecture(variant: kind, widthMultiplier: Double(widthMultiplier),
                                            numClasses: Int(numClasses))
        let network = try NetworkInfo(architecture: architecture, height: Int(resolution), width: Int(resolution))
        try fill(info, from: network)
    }
}

@_cdecl("mobilenet_model_info")
public func mobilenet_model_info(_ model: OpaquePointer?, _ info: UnsafeMutablePointer<mobilenet_info>?) -> mobilenet_status {
    guarded("mobilenet_model_info") {
        let handle = try handle(model)
        try fill(try checkInfoSize(info), from: handle.model.info())
    }
}
