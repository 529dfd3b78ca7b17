import CMobileNetHeader
import MobileNet

/// sizeof(mobilenet_info) in 0.1.0: everything up to and including layers[].
let firstInfoSize = MemoryLayout<mobilenet_info>.offset(of: \mobilenet_info.total_layers)!

/// One layer's C row.
func row(_ layer: LayerInfo) -> mobilenet_layer_info {
    var row = mobilenet_layer_info()
    withUnsafeMutableBytes(of: &row.name) { name in
        let bytes = Array(layer.spec.name.utf8.prefix(name.count - 1))
        for (j, byte) in bytes.enumerated() { name[j] = byte }
        name[bytes.count] = 0
    }
    row.type = layer.spec.type.c
    row.stride = Int32(layer.spec.stride)
    row.input_height = Int32(layer.inputHeight)
    row.input_width = Int32(layer.inputWidth)
    row.input_channels = Int32(layer.spec.inputChannels)
    row.output_height = Int32(layer.outputHeight)
    row.output_width = Int32(layer.outputWidth)
    row.output_channels = Int32(layer.spec.outputChannels)
    row.mult_adds = Int64(layer.multAdds)
    row.parameters = Int64(layer.parameters)
    return row
}

/// Fills the caller's prefix of a mobilenet_info from the core's NetworkInfo:
/// the first MOBILENET_MAX_LAYERS rows inline, all of them counted.
func fill(_ info: UnsafeMutablePointer<mobilenet_info>, size: Int, from network: NetworkInfo,
          isa: mobilenet_isa) {
    var result = mobilenet_info()
    result.struct_size = size
    result.variant = network.variant.c
    result.width_multiplier = Float(network.widthMultiplier)
    result.resolution = Int32(network.height)
    result.num_classes = Int32(network.numClasses)
    result.mult_adds = Int64(network.multAdds)
    result.parameters = Int64(network.parameters)
    let inline = min(network.layers.count, Int(MOBILENET_MAX_LAYERS))
    result.num_layers = Int32(inline)
    result.total_layers = Int32(network.layers.count)
    result.isa = isa
    withUnsafeMutableBytes(of: &result.layers) { raw in
        let rows = raw.bindMemory(to: mobilenet_layer_info.self)
        for i in 0..<inline { rows[i] = row(network.layers[i]) }
    }
    StructSize.write(result, to: info, size: size)
}

/// The caller's info struct and its size, checked.
func checkInfoSize(_ info: UnsafeMutablePointer<mobilenet_info>?) throws -> (UnsafeMutablePointer<mobilenet_info>, Int) {
    guard let info else { throw invalidArgument("info is NULL") }
    // Only the first field is read until the size is known to be valid.
    let size = UnsafeRawPointer(info).load(as: Int.self)
    try StructSize.check(size, first: firstInfoSize, current: MemoryLayout<mobilenet_info>.size,
                         name: "mobilenet_info")
    return (info, size)
}

/// A configuration's structure from the C arguments of the describe calls.
func describeNetwork(_ variant: mobilenet_variant, _ widthMultiplier: Float, _ resolution: Int32,
                     _ numClasses: Int32) throws -> NetworkInfo {
    guard let kind = Variant(variant) else {
        throw invalidArgument("variant \(Int32(bitPattern: variant.rawValue)) is not a mobilenet_variant")
    }
    guard !widthMultiplier.isNaN else { throw invalidArgument("width multiplier is NaN") }
    let architecture = try Architecture(variant: kind, widthMultiplier: Double(widthMultiplier),
                                        numClasses: Int(numClasses))
    return try NetworkInfo(architecture: architecture, height: Int(resolution), width: Int(resolution))
}

/// Row `index` of `network` into `row`, checked.
func storeRow(_ network: NetworkInfo, _ index: Int32, _ row: UnsafeMutablePointer<mobilenet_layer_info>?) throws {
    guard let row else { throw invalidArgument("row is NULL") }
    guard (0..<network.layers.count).contains(Int(index)) else {
        throw invalidArgument("layer index \(index) is outside 0..<\(network.layers.count)")
    }
    row.pointee = MobileNetCABI.row(network.layers[Int(index)])
}

@_cdecl("mobilenet_describe")
public func mobilenet_describe(_ variant: mobilenet_variant, _ widthMultiplier: Float, _ resolution: Int32,
                               _ numClasses: Int32, _ info: UnsafeMutablePointer<mobilenet_info>?) -> mobilenet_status {
    guarded("mobilenet_describe") {
        let (info, size) = try checkInfoSize(info)
        fill(info, size: size, from: try describeNetwork(variant, widthMultiplier, resolution, numClasses),
             isa: MOBILENET_ISA_AUTO)
    }
}

@_cdecl("mobilenet_describe_num_layers")
public func mobilenet_describe_num_layers(_ variant: mobilenet_variant, _ widthMultiplier: Float,
                                          _ resolution: Int32, _ numClasses: Int32) -> Int32 {
    var count: Int32 = 0
    _ = guarded("mobilenet_describe_num_layers") {
        count = Int32(try describeNetwork(variant, widthMultiplier, resolution, numClasses).layers.count)
    }
    return count
}

@_cdecl("mobilenet_describe_layer")
public func mobilenet_describe_layer(_ variant: mobilenet_variant, _ widthMultiplier: Float, _ resolution: Int32,
                                     _ numClasses: Int32, _ index: Int32,
                                     _ row: UnsafeMutablePointer<mobilenet_layer_info>?) -> mobilenet_status {
    guarded("mobilenet_describe_layer") {
        try storeRow(try describeNetwork(variant, widthMultiplier, resolution, numClasses), index, row)
    }
}

@_cdecl("mobilenet_model_info")
public func mobilenet_model_info(_ model: OpaquePointer?, _ info: UnsafeMutablePointer<mobilenet_info>?) -> mobilenet_status {
    guarded("mobilenet_model_info") {
        let handle = try handle(model)
        let (info, size) = try checkInfoSize(info)
        fill(info, size: size, from: handle.model.info(), isa: handle.model.kernelTier.c)
    }
}

@_cdecl("mobilenet_model_num_layers")
public func mobilenet_model_num_layers(_ model: OpaquePointer?) -> Int32 {
    guard let model else { return 0 }
    return Int32(ModelHandle.from(model).model.info().layers.count)
}

@_cdecl("mobilenet_model_layer")
public func mobilenet_model_layer(_ model: OpaquePointer?, _ index: Int32,
                                  _ row: UnsafeMutablePointer<mobilenet_layer_info>?) -> mobilenet_status {
    guarded("mobilenet_model_layer") {
        try storeRow(try handle(model).model.info(), index, row)
    }
}
