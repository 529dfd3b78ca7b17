import MobileNetKernelInterface

/// The 8-bit compile step: a QuantizedNetwork -> operators for one tier's
/// integer kernels, layer by layer (the float compile step's counterpart).
enum QuantizedNetworkCompiler {
    static func compile(_ network: QuantizedNetwork, kernels: any QS8Kernels) throws -> [any Operator] {
        try network.layers.enumerated().map { index, layer -> any Operator in
            switch layer.spec.type {
            case .conv3x3:
                guard index == 0 else {
                    throw MobileNetError(.unsupported, "an 8-bit 3x3 convolution after the first layer")
                }
                return try QuantizedFirstConvLayer(layer, network: network, kernels: kernels)
            case .depthwise3x3:
                return try QuantizedDepthwise3x3Layer(layer, kernels: kernels)
            case .pointwise1x1:
                return try QuantizedPointwise1x1Layer(layer, kernels: kernels, rows: layer.spec.inputChannels,
                                                      paddedRows: roundUpTo8(layer.spec.inputChannels),
                                                      input: layer.input, element: network.element)
            case .averagePool:
                return QuantizedAveragePoolLayer(layer, kernels: kernels)
            case .fullyConnected:
                return try QuantizedLogitsLayer(layer, element: network.element, kernels: kernels)
            }
        }
    }
}
