/// A network's structure for one input size: each layer's shapes and cost,
/// with the paper's accounting (multiply-adds of convolutions and the FC
/// layer; weights only as parameters).
public struct LayerInfo: Sendable {
    public let spec: LayerSpec
    public let inputHeight: Int, inputWidth: Int
    public let outputHeight: Int, outputWidth: Int
    public let multAdds: Int
    public var parameters: Int { spec.weightCount }
}

public struct NetworkInfo: Sendable {
    public let variant: Variant
    public let widthMultiplier: Double
    public let height: Int
    public let width: Int
    public let numClasses: Int
    public let layers: [LayerInfo]

    public var multAdds: Int { layers.reduce(0) { $0 + $1.multAdds } }
    public var parameters: Int { layers.reduce(0) { $0 + $1.parameters } }

    public static let maxInputSide = 4096

    public init(architecture: Architecture, height: Int, width: Int) throws {
        guard (1...NetworkInfo.maxInputSide).contains(height), (1...NetworkInfo.maxInputSide).contains(width) else {
            throw MobileNetError.invalid("input size \(height)x\(width) is outside 1...\(NetworkInfo.maxInputSide)")
        }
        variant = architecture.variant
        widthMultiplier = architecture.widthMultiplier
        self.height = height
        self.width = width
        numClasses = architecture.numClasses
        var h = height, w = width
        var rows: [LayerInfo] = []
        for spec in architecture.layers {
            let shape = spec.geometry(inputHeight: h, inputWidth: w)
            rows.append(LayerInfo(spec: spec, inputHeight: h, inputWidth: w, outputHeight: shape.outputHeight,
                                  outputWidth: shape.outputWidth, multAdds: spec.type.kind.multAdds(spec, shape)))
            h = shape.outputHeight; w = shape.outputWidth
        }
        layers = rows
    }
}
