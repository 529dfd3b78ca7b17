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
            let outH: Int, outW: Int, macs: Int
            switch spec.type {
            case .conv3x3, .depthwise3x3:
                outH = SamePadding(input: h, stride: spec.stride).output
                outW = SamePadding(input: w, stride: spec.stride).output
                let perPixel = spec.type == .conv3x3 ? 9 * spec.inputChannels * spec.outputChannels
                                                     : 9 * spec.inputChannels
                macs = outH * outW * perPixel
            case .pointwise1x1:
                outH = h; outW = w
                macs = h * w * spec.inputChannels * spec.outputChannels
            case .averagePool:
                outH = 1; outW = 1
                macs = 0
            case .fullyConnected:
                outH = 1; outW = 1
                macs = spec.inputChannels * spec.outputChannels
            }
            rows.append(LayerInfo(spec: spec, inputHeight: h, inputWidth: w, outputHeight: outH,
                                  outputWidth: outW, multAdds: macs))
            h = outH; w = outW
        }
        layers = rows
    }
}
