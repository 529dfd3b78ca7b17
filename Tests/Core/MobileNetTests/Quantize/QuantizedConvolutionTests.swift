import XCTest
@testable import MobileNet

/// Weight quantization: BatchNorm folded, per-channel scales mapping the
/// largest |w| to 127, TFLite's OHWI layout, int32 bias at input x weight
/// scale, and bias correction removing the mean shift of rounded weights.
final class QuantizedConvolutionTests: XCTestCase {
    let architecture = try! Architecture(variant: .separable, widthMultiplier: 0.25, numClasses: 10)

    func parameters(_ spec: LayerSpec, seed: UInt64) -> CanonicalParameters {
        var state = seed
        func random() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2001 - 1000) / 1000
        }
        let p = CanonicalParameters()
        for (name, shape) in spec.type.kind.tensors(spec) {
            let count = shape.reduce(1, *)
            let values = (0..<count).map { _ in name.hasSuffix("moving_variance") ? abs(random()) + 0.5 : random() }
            p.set(name, shape: shape, values: values)
        }
        return p
    }

    func testPointwiseFoldsAndQuantizesPerChannel() throws {
        let spec = architecture.layers[2]  // Conv2d_1_pointwise, 8 -> 16
        XCTAssertEqual(spec.type, .pointwise1x1)
        let p = parameters(spec, seed: 1)
        let q = try QuantizedConvolution(spec, parameters: p, epsilon: 1e-3, inputScale: 0.02, inputMeans: nil)
        let cin = spec.inputChannels, cout = spec.outputChannels
        let names = BatchNormFolding.parts(spec)
        let w = try p.tensor(spec.type.kind.tensors(spec)[0].name)
        let gamma = try p.tensor(names[0]), beta = try p.tensor(names[1])
        let mean = try p.tensor(names[2]), variance = try p.tensor(names[3])
        for co in 0..<cout {
            let factor = Double(gamma.pointer[co]) / (Double(variance.pointer[co]) + 1e-3).squareRoot()
            var maxQ = 0
            for ci in 0..<cin {
                let folded = Double(w.pointer[ci * cout + co]) * factor
                let stored = q.weights[co * cin + ci]  // OHWI
                XCTAssertEqual(Double(stored) * Double(q.weightScales[co]), folded,
                               accuracy: Double(q.weightScales[co]) / 2 + 1e-9)
                maxQ = max(maxQ, abs(Int(stored)))
            }
            XCTAssertEqual(maxQ, 127)
            let bias = Double(beta.pointer[co]) - Double(mean.pointer[co]) * factor
            XCTAssertEqual(q.biasScales[co], 0.02 * q.weightScales[co], accuracy: q.biasScales[co] * 1e-6)
            XCTAssertEqual(Double(q.bias[co]) * Double(q.biasScales[co]), bias,
                           accuracy: Double(q.biasScales[co]))
        }
    }

    func testBiasCorrectionRemovesTheMeanShift() throws {
        let spec = architecture.layers[1]  // Conv2d_1_depthwise, 8 channels
        XCTAssertEqual(spec.type, .depthwise3x3)
        let p = parameters(spec, seed: 2)
        let means = (0..<spec.inputChannels).map { Double($0) * 0.3 + 0.1 }
        let plain = try QuantizedConvolution(spec, parameters: p, epsilon: 1e-3, inputScale: 0.05, inputMeans: nil)
        let corrected = try QuantizedConvolution(spec, parameters: p, epsilon: 1e-3, inputScale: 0.05,
                                                 inputMeans: means)
        let zero = try QuantizedConvolution(spec, parameters: p, epsilon: 1e-3, inputScale: 0.05,
                                            inputMeans: [Double](repeating: 0, count: spec.inputChannels))
        XCTAssertEqual(zero.bias, plain.bias)
        XCTAssertEqual(corrected.weights, plain.weights)
        let names = BatchNormFolding.parts(spec)
        let w = try p.tensor(spec.type.kind.tensors(spec)[0].name)
        let gamma = try p.tensor(names[0]), variance = try p.tensor(names[3])
        let c = spec.outputChannels
        for ch in 0..<c {
            let factor = Double(gamma.pointer[ch]) / (Double(variance.pointer[ch]) + 1e-3).squareRoot()
            // Expected output mean, float vs int8, with the corrected bias.
            var floatSum = 0.0, quantSum = 0.0
            for tap in 0..<9 {
                floatSum += Double(w.pointer[tap * c + ch]) * factor * means[ch]
                quantSum += Double(corrected.weights[tap * c + ch]) * Double(corrected.weightScales[ch]) * means[ch]
            }
            let shift = (Double(corrected.bias[ch]) - Double(plain.bias[ch])) * Double(corrected.biasScales[ch])
            XCTAssertEqual(quantSum + shift, floatSum, accuracy: Double(corrected.biasScales[ch]))
        }
    }

    func testADeadFilterWithALargeBiasStillFitsInt32() throws {
        let spec = architecture.layers[0]
        let p = parameters(spec, seed: 3)
        let name = spec.type.kind.tensors(spec)[0].name
        let shape = spec.type.kind.tensors(spec)[0].shape
        let w = try p.tensor(name)
        var values = Array(UnsafeBufferPointer(start: w.pointer, count: w.count))
        for i in stride(from: 0, to: values.count, by: spec.outputChannels) { values[i] = 0 }  // channel 0 dead
        p.set(name, shape: shape, values: values)
        let beta = BatchNormFolding.parts(spec)[1]
        var b = [Float](repeating: 0.1, count: spec.outputChannels)
        b[0] = 1e6
        p.set(beta, shape: [spec.outputChannels], values: b)
        let q = try QuantizedConvolution(spec, parameters: p, epsilon: 1e-3, inputScale: 2 / 255, inputMeans: nil)
        XCTAssertEqual(Double(q.bias[0]) * Double(q.biasScales[0]), 1e6, accuracy: 10)  // beta - mean x factor
        XCTAssertTrue((0..<27).allSatisfy { q.weights[$0] == 0 })  // OHWI: channel 0 first
    }
}
