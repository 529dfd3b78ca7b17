import MobileNetKernelInterface

/// The compile step: canonical parameters -> operators for one precision
/// (float32) and one ISA tier, layer by layer in network order, each layer's
/// kind folding BatchNorm, padding channels and packing for the tier. Loading
/// a file and (later) exporting a trainer both end here, so they give the
/// same bits.
enum NetworkCompiler {
    /// Every tensor a network reads, in network order, with its shape.
    static func expectedTensors(_ architecture: Architecture) -> [(String, [Int])] {
        architecture.layers.flatMap { $0.type.kind.tensors($0).map { ($0.name, $0.shape) } }
    }

    static func compile(_ architecture: Architecture, parameters: ParameterReader, kernels: any F32Kernels,
                        epsilon: Double) throws -> [any Operator] {
        var operators: [any Operator] = []
        var inputPixelStride = 3  // the network input is packed RGB
        for spec in architecture.layers {
            let context = CompileContext(parameters: parameters, kernels: kernels, epsilon: epsilon,
                                         inputPixelStride: inputPixelStride)
            let op = try spec.type.kind.compile(spec, context)
            operators.append(op)
            inputPixelStride = op.outputPixelStride
        }
        return operators
    }
}
