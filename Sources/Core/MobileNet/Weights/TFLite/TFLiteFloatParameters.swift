/// A float32 MobileNet .tflite as canonical parameters (TF-Slim names and
/// layouts), so it compiles through the same float path as a safetensors
/// file. TFLite files hold BatchNorm already folded into weights and bias;
/// the canonical form gets gamma 1, beta = bias, mean 0, variance 1, and the
/// model compiles with epsilon 0, so folding multiplies by exactly 1 and the
/// file's values reach the kernels unchanged.
enum TFLiteFloatParameters {
    static func canonical(_ net: TFLiteMobileNet) throws -> CanonicalParameters {
        let parameters = CanonicalParameters()
        for (spec, layer) in zip(net.architecture.layers, net.layers) {
            guard let w = layer.weights, let b = layer.bias, let wData = w.data, let bData = b.data else { continue }
            let values = try floats(wData, tensor: w.name)
            let bias = try floats(bData, tensor: b.name)
            let cin = spec.inputChannels, cout = spec.outputChannels
            let shapes = spec.type.kind.tensors(spec)
            let weightsName = shapes[0].name
            var canonical = [Float](repeating: 0, count: values.count)
            switch spec.type {
            case .depthwise3x3:  // [1,3,3,C] -> [3,3,C,1]: the same order
                canonical = values
            case .conv3x3:  // [Co,3,3,Ci] -> [3,3,Ci,Co]
                for co in 0..<cout {
                    for tap in 0..<9 {
                        for ci in 0..<cin { canonical[(tap * cin + ci) * cout + co] = values[(co * 9 + tap) * cin + ci] }
                    }
                }
            default:  // [Co,1,1,Ci] -> [1,1,Ci,Co]
                for co in 0..<cout {
                    for ci in 0..<cin { canonical[ci * cout + co] = values[co * cin + ci] }
                }
            }
            parameters.set(weightsName, shape: shapes[0].shape, values: canonical)
            if spec.type == .fullyConnected {
                parameters.set(LogitsLayer.biasesName, shape: [cout], values: bias)
            } else {
                let names = BatchNormFolding.parts(spec)
                parameters.set(names[0], shape: [cout], values: [Float](repeating: 1, count: cout))
                parameters.set(names[1], shape: [cout], values: bias)
                parameters.set(names[2], shape: [cout], values: [Float](repeating: 0, count: cout))
                parameters.set(names[3], shape: [cout], values: [Float](repeating: 1, count: cout))
            }
        }
        return parameters
    }

    private static func floats(_ data: UnsafeRawBufferPointer, tensor: String) throws -> [Float] {
        let values = (0..<data.count / 4).map {
            Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw MobileNetError.format("tensor '\(tensor)' holds a NaN or infinite value at element \(bad)")
        }
        return values
    }
}
