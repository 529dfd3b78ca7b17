import MobileNetKernelInterface

/// A full 3x3 convolution + BatchNorm + ReLU6: the first layer, and each
/// block of the paper's full-convolution variant (Table 4). On few input
/// channels (the RGB input) it runs the direct kernel on dense weights;
/// otherwise im2col rows times weights packed for the GEMM.
final class Conv3x3Layer: LayerKind, Operator {
    static let displayName = "Conv 3x3"

    static func tensors(_ spec: LayerSpec) -> [(name: String, shape: [Int])] {
        [(tensorPrefix + spec.name + "/weights", [3, 3, spec.inputChannels, spec.outputChannels])]
            + BatchNormFolding.parts(spec).map { ($0, [spec.outputChannels]) }
    }

    static func weightCount(_ spec: LayerSpec) -> Int { 9 * spec.inputChannels * spec.outputChannels }

    static func geometry(_ spec: LayerSpec, inputHeight: Int, inputWidth: Int) -> LayerGeometry {
        windowGeometry(spec, inputHeight: inputHeight, inputWidth: inputWidth)
    }

    static func multAdds(_ spec: LayerSpec, _ g: LayerGeometry) -> Int {
        g.outputHeight * g.outputWidth * 9 * spec.inputChannels * spec.outputChannels
    }

    static func compile(_ spec: LayerSpec, _ context: CompileContext) throws -> any Operator {
        let kernels = context.kernels
        let inputStride = context.inputPixelStride
        let outPad = roundUpTo8(spec.outputChannels)
        let k = 9 * inputStride
        let (scale, bias) = try BatchNormFolding.fold(spec, context, paddedChannels: outPad)
        let name = tensorPrefix + spec.name + "/weights"
        let weights: AlignedBuffer
        let direct = inputStride <= kernels.directConvMaxInputChannels
        if direct {
            // Dense (tap * C + c) x outPad for the direct kernel.
            let raw = try context.parameters.tensor(name)  // [3, 3, Cin, Cout]
            weights = try AlignedBuffer(count: k * outPad)
            for tap in 0..<9 {
                for ci in 0..<spec.inputChannels {
                    for co in 0..<spec.outputChannels {
                        weights.pointer[(tap * inputStride + ci) * outPad + co] =
                            raw.pointer[(tap * spec.inputChannels + ci) * spec.outputChannels + co]
                    }
                }
            }
            try BatchNormFolding.scaleColumns(weights, rows: k, columns: outPad, scale: scale, layer: spec)
        } else {
            // im2col rows are tap-major over the input's padded channels,
            // gathered whole: a gap in the pixel stride (uninitialized floats)
            // must not reach them. Convolutions only follow convolutions,
            // whose outputs have none.
            guard inputStride == roundUpTo8(spec.inputChannels) else {
                throw MobileNetError(.internal, "\(spec.name) follows an output with a padded pixel stride")
            }
            let cin = spec.inputChannels
            weights = try context.packedMatrix(name, rows: 9 * cin, columns: spec.outputChannels, inPad: k,
                                               outPad: outPad, scale: scale, layer: spec,
                                               packedRow: { ($0 / cin) * inputStride + $0 % cin })
        }
        return Conv3x3Layer(spec: spec, kernels: kernels, direct: direct, inputChannels: inputStride,
                            outputChannels: outPad, weights: weights, bias: bias)
    }

    let spec: LayerSpec
    let kernels: any F32Kernels
    let direct: Bool
    /// Channels gathered per tap (the input's pixel stride).
    let inputChannels: Int
    /// Padded output channels.
    let outputChannels: Int
    /// (9 * inputChannels) x outputChannels, dense or packed (see `direct`).
    let weights: AlignedBuffer
    let bias: AlignedBuffer
    let clamp = Clamp.relu6

    init(spec: LayerSpec, kernels: any F32Kernels, direct: Bool, inputChannels: Int, outputChannels: Int,
         weights: AlignedBuffer, bias: AlignedBuffer) {
        self.spec = spec
        self.kernels = kernels
        self.direct = direct
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.weights = weights
        self.bias = bias
    }

    var outputPixelStride: Int { outputChannels }

    /// One im2col row per thread.
    func scratchFloats(_ step: Step) -> Int { direct ? 0 : step.output.width * 9 * inputChannels }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        let job = Conv3x3Job(layer: self, step: step, input: input, output: output, scratch: scratch,
                             parts: parts(step.output.height, pool: pool))
        pool.parallel(job)
    }
}

/// A full 3x3 convolution split by output rows; im2col gathers into each
/// thread's own scratch row.
private struct Conv3x3Job: PartRunner {
    let layer: Conv3x3Layer
    let step: Step
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let scratch: Scratch
    let parts: Int

    func run(part: Int, slot: Int) {
        let rows = partition(step.output.height, part: part, parts: parts)
        let g = step.geometry, kernels = layer.kernels
        if layer.direct {
            kernels.directConv3x3(inputChannels: layer.inputChannels, outputChannels: layer.outputChannels,
                                  input: input, inputLayout: step.input, weights: layer.weights.pointer,
                                  bias: layer.bias.pointer, output: output, outputLayout: step.output,
                                  stride: layer.spec.stride, padTop: g.padTop, padLeft: g.padLeft, rows: rows,
                                  clamp: layer.clamp)
            return
        }
        let k = 9 * layer.inputChannels
        let row = scratch.base + slot * scratch.perSlot
        for oy in rows {
            kernels.im2col3x3Row(input: input, layout: step.input, channels: layer.inputChannels, oy: oy,
                                 outputWidth: step.output.width, stride: layer.spec.stride, padTop: g.padTop,
                                 padLeft: g.padLeft, into: row)
            kernels.gemm(m: step.output.width, k: k, n: layer.outputChannels, a: row, lda: k,
                         packedB: layer.weights.pointer, bias: layer.bias.pointer,
                         c: output + oy * step.output.width * step.output.pixelStride,
                         ldc: step.output.pixelStride, clamp: layer.clamp, panels: nil)
        }
    }
}
