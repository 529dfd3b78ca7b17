import MobileNetKernelInterface

/// The 8-bit first layer (Conv2d_0, 3x3 on the RGB input): quantizes the
/// float input as TFLite's QUANTIZE does, then runs the convolution as
/// im2col rows (27 taps padded to 32) times the packed weights. Each part
/// quantizes only the input rows its block of output rows reads, into its
/// own scratch, so the input is rounded about once (9 rows per 4 output rows
/// at stride 2: 12% twice) without a shared buffer.
final class QuantizedFirstConvLayer: Operator {
    /// Output rows per block: the quantized input rows it reads stay in L1/L2.
    static let blockRows = 4
    static let quantizedPixelStride = 8
    static let rowLength = 32

    let spec: LayerSpec
    let gemm: QuantizedPointwise1x1Layer
    let input: QuantizedNetwork.Affine
    let range: ClosedRange<Int32>

    init(_ layer: QuantizedNetwork.Layer, network: QuantizedNetwork, kernels: any QS8Kernels) throws {
        spec = layer.spec
        input = network.input
        range = network.element.range
        gemm = try QuantizedPointwise1x1Layer(layer, kernels: kernels, rows: 9 * spec.inputChannels,
                                              paddedRows: QuantizedFirstConvLayer.rowLength)
    }

    var outputPixelStride: Int { gemm.outputPixelStride }

    private func inputRowsPerBlock() -> Int { (QuantizedFirstConvLayer.blockRows - 1) * spec.stride + 3 }

    /// Int16s of one slot's scratch: a block's quantized input rows, then one im2col row set.
    private func scratchInt16s(_ step: Step) -> (rows: Int, columns: Int) {
        (inputRowsPerBlock() * step.input.width * QuantizedFirstConvLayer.quantizedPixelStride,
         step.output.width * QuantizedFirstConvLayer.rowLength)
    }

    func scratchFloats(_ step: Step) -> Int {
        let (rows, columns) = scratchInt16s(step)
        return (rows + columns + 1) / 2
    }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        let blocks = (step.output.height + QuantizedFirstConvLayer.blockRows - 1) / QuantizedFirstConvLayer.blockRows
        pool.parallel(QuantizedFirstConvJob(layer: self, step: step, input: input,
                                            output: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Int16.self),
                                            scratch: scratch, blocks: blocks, parts: parts(blocks, pool: pool)))
    }

    /// Output rows `rows` (one block) with `slot`'s scratch.
    func runBlock(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Int16>, rows: Range<Int>,
                  scratch: UnsafeMutablePointer<Int16>) {
        let g = step.geometry, width = step.input.width, stride = QuantizedFirstConvLayer.quantizedPixelStride
        let channels = spec.inputChannels
        // Input rows [first, last) of the block, clipped to the image.
        let first = max(rows.lowerBound * spec.stride - g.padTop, 0)
        let last = min((rows.upperBound - 1) * spec.stride - g.padTop + 3, step.input.height)
        guard last > first else { return }
        gemm.kernels.qquantize(input: input + first * width * step.input.pixelStride,
                               inputStride: step.input.pixelStride, pixels: (last - first) * width,
                               channels: channels, scale: self.input.scale, zeroPoint: self.input.zeroPoint,
                               lower: range.lowerBound, upper: range.upperBound, output: scratch,
                               outputStride: stride)
        // The block's rows as their own small image starting at input row
        // `first`: output row oy reads local rows oy' * stride - padTop'.
        let local = ActivationLayout(height: last - first, width: width, pixelStride: stride)
        let localPadTop = g.padTop + first - rows.lowerBound * spec.stride
        let columns = scratch + inputRowsPerBlock() * width * stride
        for oy in rows {
            gemm.kernels.qim2col3x3Row(input: scratch, layout: local, channels: channels, oy: oy - rows.lowerBound,
                                       outputWidth: step.output.width, stride: spec.stride, padTop: localPadTop,
                                       padLeft: g.padLeft, rowLength: QuantizedFirstConvLayer.rowLength, into: columns)
            gemm.run(m: step.output.width, a: columns, lda: QuantizedFirstConvLayer.rowLength,
                     c: output + oy * step.output.width * step.output.pixelStride, ldc: step.output.pixelStride,
                     panels: nil)
        }
    }
}

private struct QuantizedFirstConvJob: PartRunner {
    let layer: QuantizedFirstConvLayer
    let step: Step
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Int16>
    let scratch: Scratch
    let blocks: Int
    let parts: Int

    func run(part: Int, slot: Int) {
        let mine = UnsafeMutableRawPointer(scratch.base + slot * scratch.perSlot).assumingMemoryBound(to: Int16.self)
        let rowsPerBlock = QuantizedFirstConvLayer.blockRows
        for block in partition(blocks, part: part, parts: parts) {
            let rows = block * rowsPerBlock..<min((block + 1) * rowsPerBlock, step.output.height)
            layer.runBlock(step, input: input, output: output, rows: rows, scratch: mine)
        }
    }
}
