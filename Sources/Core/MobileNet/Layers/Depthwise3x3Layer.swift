import MobileNetKernelInterface

/// A depthwise 3x3 convolution + BatchNorm + ReLU6 (Figure 3), weights
/// packed 9 taps x padded channels.
final class Depthwise3x3Layer: LayerKind, TiledDepthwise {
    static let displayName = "Conv DW 3x3"

    static func tensors(_ spec: LayerSpec) -> [(name: String, shape: [Int])] {
        [(tensorPrefix + spec.name + "/depthwise_weights", [3, 3, spec.inputChannels, 1])]
            + BatchNormFolding.parts(spec).map { ($0, [spec.outputChannels]) }
    }

    static func weightCount(_ spec: LayerSpec) -> Int { 9 * spec.inputChannels }

    static func geometry(_ spec: LayerSpec, inputHeight: Int, inputWidth: Int) -> LayerGeometry {
        windowGeometry(spec, inputHeight: inputHeight, inputWidth: inputWidth)
    }

    static func multAdds(_ spec: LayerSpec, _ g: LayerGeometry) -> Int {
        g.outputHeight * g.outputWidth * 9 * spec.inputChannels
    }

    static func compile(_ spec: LayerSpec, _ context: CompileContext) throws -> any Operator {
        let channels = roundUpTo8(spec.inputChannels)
        let raw = try context.parameters.tensor(tensorPrefix + spec.name + "/depthwise_weights")  // [3, 3, C, 1]
        let weights = try AlignedBuffer(count: 9 * channels)
        for tap in 0..<9 {
            for c in 0..<spec.inputChannels {
                weights.pointer[tap * channels + c] = raw.pointer[tap * spec.inputChannels + c]
            }
        }
        let (scale, bias) = try BatchNormFolding.fold(spec, context, paddedChannels: channels)
        try BatchNormFolding.scaleColumns(weights, rows: 9, columns: channels, scale: scale, layer: spec)
        return Depthwise3x3Layer(spec: spec, kernels: context.kernels, channels: channels, weights: weights,
                                 bias: bias)
    }

    let spec: LayerSpec
    let kernels: any F32Kernels
    /// Padded channels.
    let channels: Int
    /// 9 taps x channels.
    let weights: AlignedBuffer
    let bias: AlignedBuffer
    let clamp = Clamp.relu6

    init(spec: LayerSpec, kernels: any F32Kernels, channels: Int, weights: AlignedBuffer, bias: AlignedBuffer) {
        self.spec = spec
        self.kernels = kernels
        self.channels = channels
        self.weights = weights
        self.bias = bias
    }

    var outputPixelStride: Int { gappedPixelStride(channels: channels) }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        pool.parallel(DepthwiseJob(layer: self, step: step, input: input, output: output,
                                   parts: parts(step.output.height, pool: pool)))
    }

    /// Output rows `rows` into `output`, which holds the rows from
    /// `firstOutputRow` on (the whole image, or a fused pass's tile).
    @inline(__always)
    func run(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
             outputLayout: ActivationLayout, rows: Range<Int>, firstOutputRow: Int) {
        kernels.depthwise3x3(stride: spec.stride, channels: channels, input: input, inputLayout: step.input,
                             weights: weights.pointer, bias: bias.pointer, output: output,
                             outputLayout: outputLayout, padTop: step.geometry.padTop,
                             padLeft: step.geometry.padLeft, rows: rows, firstOutputRow: firstOutputRow,
                             clamp: clamp)
    }
}

extension Depthwise3x3Layer {
    func runRows(_ step: Step, input: UnsafePointer<Float>, tile: UnsafeMutableRawPointer, layout: ActivationLayout,
                 rows: Range<Int>) {
        run(step, input: input, output: tile.assumingMemoryBound(to: Float.self), outputLayout: layout, rows: rows,
            firstOutputRow: rows.lowerBound)
    }
}

/// A depthwise layer split by output rows.
private struct DepthwiseJob: PartRunner {
    let layer: Depthwise3x3Layer
    let step: Step
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let parts: Int

    func run(part: Int, slot: Int) {
        layer.run(step, input: input, output: output, outputLayout: step.output,
                  rows: partition(step.output.height, part: part, parts: parts), firstOutputRow: 0)
    }
}
