/// MobileNet v1 as in the paper's Table 1, and the two comparison networks of
/// Tables 4 and 5, as a list of layers with TF-Slim's names and channel counts.
public enum Variant: Int, CaseIterable, Sendable {
    case separable = 0
    case fullConv = 1
    case shallow = 2

    /// The name used in model files and on the command line.
    public var name: String {
        switch self {
        case .separable: return "separable"
        case .fullConv: return "full_conv"
        case .shallow: return "shallow"
        }
    }

    public init?(name: String) {
        guard let v = Variant.allCases.first(where: { $0.name == name }) else { return nil }
        self = v
    }
}

public enum LayerType: Int, Sendable {
    case conv3x3 = 0
    case depthwise3x3 = 1
    case pointwise1x1 = 2
    case averagePool = 3
    case fullyConnected = 4

    /// The paper's name for the type (Table 2), e.g. "Conv DW 3x3".
    public var name: String { kind.displayName }

    /// The one place that maps the public tag to the type that knows the kind.
    var kind: any LayerKind.Type {
        switch self {
        case .conv3x3: return Conv3x3Layer.self
        case .depthwise3x3: return Depthwise3x3Layer.self
        case .pointwise1x1: return Pointwise1x1Layer.self
        case .averagePool: return AveragePoolLayer.self
        case .fullyConnected: return LogitsLayer.self
        }
    }
}

/// One layer, independent of the input size.
public struct LayerSpec: Sendable {
    public let name: String
    public let type: LayerType
    public let stride: Int
    public let inputChannels: Int
    public let outputChannels: Int

    /// Weights, as the paper counts parameters (no biases, no BatchNorm).
    public var weightCount: Int { type.kind.weightCount(self) }

    /// Shapes and padding at an input of height x width (the one shape inference).
    public func geometry(inputHeight: Int, inputWidth: Int) -> LayerGeometry {
        type.kind.geometry(self, inputHeight: inputHeight, inputWidth: inputWidth)
    }
}

public struct Architecture: Sendable {
    public static let blockDepths = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    public static let blockStrides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    /// The five 14x14x512 blocks the shallow network drops (Table 5).
    public static let shallowDroppedBlocks = 7...11
    public static let maxClasses = 100_000

    public let variant: Variant
    public let widthMultiplier: Double
    public let numClasses: Int
    public let layers: [LayerSpec]

    public init(variant: Variant, widthMultiplier: Double, numClasses: Int) throws {
        guard widthMultiplier.isFinite, widthMultiplier > 0, widthMultiplier <= 4 else {
            throw MobileNetError.invalid("width multiplier \(widthMultiplier) is outside (0, 4]")
        }
        guard (1...Architecture.maxClasses).contains(numClasses) else {
            throw MobileNetError.invalid("number of classes \(numClasses) is outside [1, \(Architecture.maxClasses)]")
        }
        self.variant = variant
        self.widthMultiplier = widthMultiplier
        self.numClasses = numClasses

        // TF-Slim: depth(d) = max(int(d * depth_multiplier), min_depth = 8).
        func depth(_ d: Int) -> Int { max(Int(Double(d) * widthMultiplier), 8) }
        var layers: [LayerSpec] = []
        var channels = depth(32)
        layers.append(LayerSpec(name: "Conv2d_0", type: .conv3x3, stride: 2, inputChannels: 3,
                                outputChannels: channels))
        for (i, (d, s)) in zip(Architecture.blockDepths, Architecture.blockStrides).enumerated() {
            let block = i + 1
            if variant == .shallow && Architecture.shallowDroppedBlocks.contains(block) { continue }
            let out = depth(d)
            if variant == .fullConv {
                layers.append(LayerSpec(name: "Conv2d_\(block)", type: .conv3x3, stride: s,
                                        inputChannels: channels, outputChannels: out))
            } else {
                layers.append(LayerSpec(name: "Conv2d_\(block)_depthwise", type: .depthwise3x3, stride: s,
                                        inputChannels: channels, outputChannels: channels))
                layers.append(LayerSpec(name: "Conv2d_\(block)_pointwise", type: .pointwise1x1, stride: 1,
                                        inputChannels: channels, outputChannels: out))
            }
            channels = out
        }
        layers.append(LayerSpec(name: "AvgPool_1a", type: .averagePool, stride: 1, inputChannels: channels,
                                outputChannels: channels))
        layers.append(LayerSpec(name: "Logits", type: .fullyConnected, stride: 1, inputChannels: channels,
                                outputChannels: numClasses))
        self.layers = layers
    }

    /// Weights over all layers, as the paper counts parameters.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.weightCount } }
}

/// TensorFlow's 'SAME' padding for a 3x3 window: output = ceil(input / stride),
/// and the odd pixel of padding goes after (bottom/right).
public struct SamePadding: Equatable, Sendable {
    public let output: Int
    public let before: Int

    public init(input: Int, stride: Int, kernel: Int = 3) {
        output = (input + stride - 1) / stride
        let total = max((output - 1) * stride + kernel - input, 0)
        before = total / 2
    }
}
