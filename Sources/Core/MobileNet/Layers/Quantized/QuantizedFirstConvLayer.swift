import MobileNetKernelInterface

/// The 8-bit first layer (Conv2d_0, 3x3 on the RGB input): quantizes the
/// float input as TFLite's QUANTIZE does, then runs the convolution as
/// im2col rows times the packed weights. Each tap takes 4 values, the 3
/// channels and the zero QUANTIZE leaves after them, so im2col moves one
/// 8-byte word per tap instead of 3 Int16s (9 x 4 = 36, padded to k = 40:
/// 25% more MACs in a GEMM that is ~1% of the network's). Each part
/// quantizes only the input rows its block of output rows reads, into its
/// own scratch, so the input is rounded about once (9 rows per 4 output rows
/// at stride 2: 12% twice) without a shared buffer.
final class QuantizedFirstConvLayer: Operator {
    /// Output rows per block: the quantized input rows it reads stay in L1/L2.
    static let blockRows = 4
    static let quantizedPixelStride = 8
    static let tapChannels = 4
    static let rowLength = 40

    let spec: LayerSpec
    let gemm: QuantizedPointwise1x1Layer
    let input: QuantizedNetwork.Affine
    let range: ClosedRange<Int32>

    init(_ layer: QuantizedNetwork.Layer, network: QuantizedNetwork, kernels: any QS8Kernels) throws {
        spec = layer.spec
        input = network.input
        range = network.element.range
        guard spec.inputChannels <= QuantizedFirstConvLayer.tapChannels else {  // RGB (Architecture)
            throw MobileNetError(.unsupported, "an 8-bit first layer with \(spec.inputChannels) input channels")
        }
        gemm = try QuantizedPointwise1x1Layer(layer, kernels: kernels, rows: 9 * QuantizedFirstConvLayer.tapChannels,
                                              paddedRows: QuantizedFirstConvLayer.rowLength, input: network.input,
                                              element: network.element,
                                              weights: QuantizedFirstConvLayer.tapWeights(layer))
    }

    /// `layer.weights` ([tap][channel][output]) with each tap's rows padded to tapChannels by zeros.
    static func tapWeights(_ layer: QuantizedNetwork.Layer) -> [Int16] {
        let channels = layer.spec.inputChannels, n = layer.spec.outputChannels
        var rows = [Int16](repeating: 0, count: 9 * tapChannels * n)
        for tap in 0..<9 {
            for c in 0..<channels {
                for j in 0..<n { rows[(tap * tapChannels + c) * n + j] = layer.weights[(tap * channels + c) * n + j] }
            }
        }
        return rows
    }

    var outputPixelStride: Int { gemm.outputPixelStride }

    private func inputRowsPerBlock() -> Int { (QuantizedFirstConvLayer.blockRows - 1) * spec.stride + 3 }

    /// Int16s of one slot's scratch: a block's quantized input rows, then one
    /// im2col row set; the GEMM's own scratch follows.
    private func scratchInt16s(_ step: Step) -> (rows: Int, columns: Int) {
        (inputRowsPerBlock() * step.input.width * QuantizedFirstConvLayer.quantizedPixelStride,
         step.output.width * QuantizedFirstConvLayer.rowLength)
    }

    func scratchFloats(_ step: Step) -> Int {
        let (rows, columns) = scratchInt16s(step)
        return (rows + columns + 1) / 2 + gemm.scratchFloats(m: step.output.width)  // one output row per GEMM
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
        let tapChannels = QuantizedFirstConvLayer.tapChannels
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
        let (rowsInt16s, columnsInt16s) = scratchInt16s(step)
        let gemmScratch = UnsafeMutableRawPointer(scratch + 2 * ((rowsInt16s + columnsInt16s + 1) / 2))
        for oy in rows {
            gemm.kernels.qim2col3x3Row(input: scratch, layout: local, channels: tapChannels, oy: oy - rows.lowerBound,
                                       outputWidth: step.output.width, stride: spec.stride, padTop: localPadTop,
                                       padLeft: g.padLeft, rowLength: QuantizedFirstConvLayer.rowLength, into: columns)
            gemm.run(m: step.output.width, a: columns, lda: QuantizedFirstConvLayer.rowLength,
                     c: output + oy * step.output.width * step.output.pixelStride, ldc: step.output.pixelStride,
                     panels: nil, scratch: gemmScratch)
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
