/// One convolution's parameters as a TFLite int8 file stores them:
/// BatchNorm folded (in float64), weights per-channel symmetric int8 in
/// TFLite's layout (OHWI for CONV_2D, 1HWC for DEPTHWISE_CONV_2D), bias in
/// int32 at scale input x weight scale.
struct QuantizedConvolution {
    let spec: LayerSpec
    let weights: [Int8]
    let weightScales: [Float]
    let bias: [Int32]
    let biasScales: [Float]

    /// `inputScale` is the layer input's activation scale; `inputMeans`
    /// (per input channel, from calibration) enable bias correction.
    init(_ spec: LayerSpec, parameters: ParameterReader, epsilon: Double, inputScale: Float,
         inputMeans: [Double]?) throws {
        self.spec = spec
        let names = spec.type.kind.tensors(spec)
        let canonical = try parameters.tensor(names[0].name)
        let cin = spec.inputChannels, cout = spec.outputChannels
        // Folded bias and per-channel factor.
        var factor = [Double](repeating: 1, count: cout)
        var foldedBias = [Double](repeating: 0, count: cout)
        if spec.type == .fullyConnected {
            let b = try parameters.tensor(LogitsLayer.biasesName)
            for c in 0..<cout { foldedBias[c] = Double(b.pointer[c]) }
        } else {
            let parts = BatchNormFolding.parts(spec)
            let gamma = try parameters.tensor(parts[0]), beta = try parameters.tensor(parts[1])
            let mean = try parameters.tensor(parts[2]), variance = try parameters.tensor(parts[3])
            for c in 0..<cout {
                let v = Double(variance.pointer[c]) + epsilon
                guard v > 0 else {
                    throw MobileNetError.format("\(spec.name): moving_variance + epsilon is not positive for channel \(c)")
                }
                factor[c] = Double(gamma.pointer[c]) / v.squareRoot()
                foldedBias[c] = Double(beta.pointer[c]) - Double(mean.pointer[c]) * factor[c]
            }
        }
        // TFLite index -> (canonical index, channel).
        let count = canonical.count
        var folded = [Double](repeating: 0, count: count)
        var channelOf = [Int](repeating: 0, count: count)
        switch spec.type {
        case .depthwise3x3:  // [3,3,C,1] -> [1,3,3,C]: the same order
            for i in 0..<count {
                channelOf[i] = i % cout
                folded[i] = Double(canonical.pointer[i]) * factor[i % cout]
            }
        case .conv3x3:  // [3,3,Ci,Co] -> [Co,3,3,Ci]
            for co in 0..<cout {
                for tap in 0..<9 {
                    for ci in 0..<cin {
                        let i = (co * 9 + tap) * cin + ci
                        channelOf[i] = co
                        folded[i] = Double(canonical.pointer[(tap * cin + ci) * cout + co]) * factor[co]
                    }
                }
            }
        default:  // [1,1,Ci,Co] -> [Co,1,1,Ci]
            for co in 0..<cout {
                for ci in 0..<cin {
                    channelOf[co * cin + ci] = co
                    folded[co * cin + ci] = Double(canonical.pointer[ci * cout + co]) * factor[co]
                }
            }
        }
        var maxAbs = [Double](repeating: 0, count: cout)
        for i in 0..<count {
            guard folded[i].isFinite else { throw MobileNetError.format("\(spec.name): folding BatchNorm overflows a weight") }
            maxAbs[channelOf[i]] = max(maxAbs[channelOf[i]], abs(folded[i]))
        }
        // Per channel: max |w| maps to 127 (TFLite's symmetric [-127, 127]).
        // A scale is raised where the bias would not fit int32 at
        // input x weight scale (a dead filter with a large bias), and a
        // channel of zeros with zero bias takes scale 1.
        var scales = [Float](repeating: 1, count: cout)
        let limit = Double(1 << 30)
        for c in 0..<cout {
            guard foldedBias[c].isFinite else { throw MobileNetError.format("\(spec.name): the folded bias of channel \(c) is not finite") }
            var s = max(maxAbs[c] / 127, abs(foldedBias[c]) / (Double(inputScale) * limit))
            if !(s > 0) { s = 1 }
            // Float32 as the file holds it, never 0 or subnormal.
            let stored = max(Float(s), Float.leastNormalMagnitude * 2)
            guard stored.isFinite else { throw MobileNetError.format("\(spec.name): channel \(c)'s weight scale overflows") }
            scales[c] = stored
        }
        var weights = [Int8](repeating: 0, count: count)
        for i in 0..<count {
            let q = (folded[i] / Double(scales[channelOf[i]])).rounded(.toNearestOrAwayFromZero)
            weights[i] = Int8(min(max(q, -127), 127))
        }
        // Bias correction (Nagel et al. 2019, "Data-Free Quantization", sec.
        // 4.2): rounding the weights shifts each output's mean by
        // sum (w_q s - w) E[x]; subtracting it from the bias removes that
        // shift, E[x] per input channel from calibration.
        if let inputMeans {
            let inputChannel: (Int) -> Int = spec.type == .depthwise3x3 ? { $0 % cout } : { $0 % cin }
            var shift = [Double](repeating: 0, count: cout)
            for i in 0..<count {
                let c = channelOf[i]
                shift[c] += (Double(weights[i]) * Double(scales[c]) - folded[i]) * inputMeans[inputChannel(i)]
            }
            for c in 0..<cout { foldedBias[c] -= shift[c] }
        }
        var biasScales = [Float](repeating: 1, count: cout)
        var quantizedBias = [Int32](repeating: 0, count: cout)
        for c in 0..<cout {
            let biasScale = Double(inputScale) * Double(scales[c])
            biasScales[c] = Float(biasScale)
            guard biasScales[c] >= Float.leastNormalMagnitude, biasScales[c].isFinite else {
                throw MobileNetError(.unsupported, "\(spec.name): channel \(c)'s bias scale \(biasScale) is outside float32")
            }
            let q = (foldedBias[c] / Double(biasScales[c])).rounded(.toNearestOrAwayFromZero)
            quantizedBias[c] = Int32(min(max(q, -limit * 2), limit * 2 - 1))
        }
        self.weights = weights
        weightScales = scales
        bias = quantizedBias
        self.biasScales = biasScales
    }
}
