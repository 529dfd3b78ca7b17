import MobileNetKernelInterface

/// A pointwise (1x1) convolution + BatchNorm + ReLU6: a GEMM on the NHWC
/// activations (rows are pixels), weights packed once for the tier. 95% of
/// MobileNet's multiply-adds (Table 2).
final class Pointwise1x1Layer: LayerKind, TiledPointwise {
    static let displayName = "Conv 1x1"

    static func tensors(_ spec: LayerSpec) -> [(name: String, shape: [Int])] {
        [(tensorPrefix + spec.name + "/weights", [1, 1, spec.inputChannels, spec.outputChannels])]
            + BatchNormFolding.parts(spec).map { ($0, [spec.outputChannels]) }
    }

    static func weightCount(_ spec: LayerSpec) -> Int { spec.inputChannels * spec.outputChannels }

    static func geometry(_ spec: LayerSpec, inputHeight: Int, inputWidth: Int) -> LayerGeometry {
        pixelGeometry(inputHeight: inputHeight, inputWidth: inputWidth)
    }

    static func multAdds(_ spec: LayerSpec, _ g: LayerGeometry) -> Int {
        g.outputHeight * g.outputWidth * spec.inputChannels * spec.outputChannels
    }

    static func compile(_ spec: LayerSpec, _ context: CompileContext) throws -> any Operator {
        let inPad = roundUpTo8(spec.inputChannels), outPad = roundUpTo8(spec.outputChannels)
        let (scale, bias) = try BatchNormFolding.fold(spec, context, paddedChannels: outPad)
        let weights = try context.packedMatrix(tensorPrefix + spec.name + "/weights", rows: spec.inputChannels,
                                               columns: spec.outputChannels, inPad: inPad, outPad: outPad,
                                               scale: scale, layer: spec)
        return Pointwise1x1Layer(spec: spec, kernels: context.kernels, inputChannels: inPad,
                                 outputChannels: outPad, weights: weights, bias: bias)
    }

    let spec: LayerSpec
    let kernels: any F32Kernels
    let inputChannels: Int
    let outputChannels: Int
    /// inputChannels x outputChannels, packed for the tier's GEMM.
    let weights: AlignedBuffer
    let bias: AlignedBuffer
    let clamp = Clamp.relu6

    init(spec: LayerSpec, kernels: any F32Kernels, inputChannels: Int, outputChannels: Int,
         weights: AlignedBuffer, bias: AlignedBuffer) {
        self.spec = spec
        self.kernels = kernels
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.weights = weights
        self.bias = bias
    }

    var outputPixelStride: Int { gappedPixelStride(channels: outputChannels) }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        let pixels = step.output.height * step.output.width
        // Small images, wide layers (7x7x1024): weights dominate the traffic,
        // so each thread takes its own column panels of them.
        let byPanels = splitsByPanels(pixels: pixels, outputChannels: outputChannels,
                                      rowBlock: kernels.gemmRowBlock, pool: pool)
        let units = byPanels ? kernels.gemmPanelCount(n: outputChannels)
                             : (pixels + kernels.gemmRowBlock - 1) / kernels.gemmRowBlock
        pool.parallel(GEMMJob(kernels: kernels, m: pixels, k: inputChannels, n: outputChannels, a: input,
                              lda: step.input.pixelStride, packedB: weights.pointer, bias: bias.pointer, c: output,
                              ldc: step.output.pixelStride, clamp: clamp, split: byPanels ? .panels : .rows,
                              parts: parts(units, pool: pool)))
    }

    var gemmRowBlock: Int { kernels.gemmRowBlock }

    func tileScratchBytes(m: Int) -> Int { 0 }

    /// Rows [0, m) of a tile (a fused pass's depthwise output) into `output`.
    func runTile(m: Int, tile: UnsafeRawPointer, tileStride: Int, output: UnsafeMutablePointer<Float>,
                 firstPixel: Int, outputStride: Int, scratch: UnsafeMutableRawPointer) {
        kernels.gemm(m: m, k: inputChannels, n: outputChannels, a: tile.assumingMemoryBound(to: Float.self),
                     lda: tileStride, packedB: weights.pointer, bias: bias.pointer,
                     c: output + firstPixel * outputStride, ldc: outputStride, clamp: clamp, panels: nil)
    }
}
