import MobileNetKernelInterface

/// The logits: a 1x1 convolution with bias on the pooled features, no
/// BatchNorm, linear output (clamp to +-inf). One row times a matrix that
/// streams 4 MB of weights at 1001 classes, so it is split by column panels.
final class LogitsLayer: LayerKind, Operator {
    static let displayName = "FC"
    static let weightsName = "MobilenetV1/Logits/Conv2d_1c_1x1/weights"
    static let biasesName = "MobilenetV1/Logits/Conv2d_1c_1x1/biases"

    static func tensors(_ spec: LayerSpec) -> [(name: String, shape: [Int])] {
        [(weightsName, [1, 1, spec.inputChannels, spec.outputChannels]), (biasesName, [spec.outputChannels])]
    }

    static func weightCount(_ spec: LayerSpec) -> Int { spec.inputChannels * spec.outputChannels }

    static func geometry(_ spec: LayerSpec, inputHeight: Int, inputWidth: Int) -> LayerGeometry {
        pixelGeometry(inputHeight: inputHeight, inputWidth: inputWidth, outputSide: 1)
    }

    static func multAdds(_ spec: LayerSpec, _ g: LayerGeometry) -> Int { spec.inputChannels * spec.outputChannels }

    static func compile(_ spec: LayerSpec, _ context: CompileContext) throws -> any Operator {
        let inPad = roundUpTo8(spec.inputChannels), classes = spec.outputChannels
        let outPad = roundUpTo8(classes)
        let weights = try context.packedMatrix(weightsName, rows: spec.inputChannels, columns: classes,
                                               inPad: inPad, outPad: outPad, scale: nil, layer: spec)
        let rawBias = try context.parameters.tensor(biasesName)
        let bias = try AlignedBuffer(count: outPad)
        bias.pointer.update(from: rawBias.pointer, count: classes)
        return LogitsLayer(spec: spec, kernels: context.kernels, inputChannels: inPad, paddedClasses: outPad,
                           weights: weights, bias: bias)
    }

    let spec: LayerSpec
    let kernels: any F32Kernels
    let inputChannels: Int
    let paddedClasses: Int
    let weights: AlignedBuffer
    let bias: AlignedBuffer

    init(spec: LayerSpec, kernels: any F32Kernels, inputChannels: Int, paddedClasses: Int, weights: AlignedBuffer,
         bias: AlignedBuffer) {
        self.spec = spec
        self.kernels = kernels
        self.inputChannels = inputChannels
        self.paddedClasses = paddedClasses
        self.weights = weights
        self.bias = bias
    }

    var outputPixelStride: Int { paddedClasses }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        pool.parallel(GEMMJob(kernels: kernels, m: 1, k: inputChannels, n: paddedClasses, a: input,
                              lda: inputChannels, packedB: weights.pointer, bias: bias.pointer, c: output,
                              ldc: paddedClasses, clamp: .none, split: .panels,
                              parts: parts(kernels.gemmPanelCount(n: paddedClasses), pool: pool)))
    }
}
