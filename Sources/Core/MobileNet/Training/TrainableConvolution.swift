import MobileNetKernelInterface

/// The convolution of one layer kind in training: its forward pass (z from
/// x, no bias: BatchNorm follows), and the two backward passes. One type per
/// kind (PointwiseTraining, DepthwiseTraining3x3, FullConvTraining3x3); the
/// BatchNorm + ReLU6 around them is ConvBlock's. Activations are dense NHWC,
/// `batch` images of the geometry's sizes.
protocol TrainableConvolution {
    var spec: LayerSpec { get }
    func needs(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, inputGradient: Bool) -> ScratchNeeds
    func forward(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                 weights: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>)
    func weightGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                        dz: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>)
    func inputGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, dz: UnsafePointer<Float>,
                       weights: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>)
}

/// 1x1: z = X W with X the batch's pixels (rows) x Cin, W [Cin x Cout].
struct PointwiseTraining: TrainableConvolution {
    let spec: LayerSpec

    func needs(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, inputGradient: Bool) -> ScratchNeeds {
        let ci = spec.inputChannels, co = spec.outputChannels
        var n = ctx.gemmWeightGradientNeeds(rows: batch * g.outputHeight * g.outputWidth, k: ci, n: co)
        n.merge(ctx.gemmRowsNeeds(k: ci, n: co))
        n.merge(ctx.gemmRowsNeeds(k: co, n: ci))
        return n
    }

    func forward(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                 weights: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>) {
        let ci = spec.inputChannels, co = spec.outputChannels
        ctx.gemmRows(rows: batch * g.outputHeight * g.outputWidth, k: ci, n: co, a: x, lda: ci, b: weights,
                     rowStride: co, columnStride: 1, c: z, ldc: co)
    }

    func weightGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                        dz: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>) {
        ctx.gemmWeightGradient(rows: batch * g.outputHeight * g.outputWidth, k: spec.inputChannels,
                               n: spec.outputChannels, x: .rows(x), dz: dz, grad: grad)
    }

    func inputGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, dz: UnsafePointer<Float>,
                       weights: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let ci = spec.inputChannels, co = spec.outputChannels
        // dX = dZ W^T: W^T's element (o, i) is W[i * co + o].
        ctx.gemmRows(rows: batch * g.outputHeight * g.outputWidth, k: co, n: ci, a: dz, lda: co, b: weights,
                     rowStride: 1, columnStride: co, c: dx, ldc: ci)
    }
}

/// Depthwise 3x3 on the tier's training kernels; weights 9 x C.
struct DepthwiseTraining3x3: TrainableConvolution {
    let spec: LayerSpec

    private func chunks(batch: Int, _ g: LayerGeometry) -> ReductionChunks {
        ReductionChunks(rows: batch * g.outputHeight, minimumPerChunk: max(1, 1024 / max(g.outputWidth, 1)))
    }

    func needs(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, inputGradient: Bool) -> ScratchNeeds {
        ScratchNeeds(partial: chunks(batch: batch, g).count * 9 * spec.inputChannels)
    }

    func forward(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                 weights: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>) {
        ctx.pool.forEachRange(batch * g.outputHeight,
                              DepthwiseRows(kernels: ctx.kernels, spec: spec, g: g, input: x, weights: weights,
                                            output: z, backward: false))
    }

    func weightGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                        dz: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>) {
        let c = spec.inputChannels, chunks = chunks(batch: batch, g)
        ctx.pool.parallel(DepthwiseWeightChunks(kernels: ctx.kernels, spec: spec, g: g, chunks: chunks, x: x, dz: dz,
                                                partial: ctx.partial.pointer))
        reducePartials(ctx.partial.pointer, chunks: chunks.count, stride: 9 * c, count: 9 * c, into: grad, pool: ctx.pool)
    }

    func inputGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, dz: UnsafePointer<Float>,
                       weights: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        ctx.pool.forEachRange(batch * g.inputHeight,
                              DepthwiseRows(kernels: ctx.kernels, spec: spec, g: g, input: dz, weights: weights,
                                            output: dx, backward: true))
    }
}

/// Rows of a depthwise forward pass (flat output rows over the batch), or of
/// its input gradient (flat input rows).
private struct DepthwiseRows: RangeWork {
    let kernels: any F32TrainingKernels, spec: LayerSpec, g: LayerGeometry
    let input: UnsafePointer<Float>, weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    let backward: Bool

    func run(_ range: Range<Int>, slot: Int) {
        let c = spec.inputChannels
        let inImage = g.inputHeight * g.inputWidth * c, outImage = g.outputHeight * g.outputWidth * c
        if backward {
            TrainingContext.forEachImageRows(range, rowsPerImage: g.inputHeight) { n, rows in
                kernels.depthwiseBackwardInput(gradOutput: input + n * outImage, outputHeight: g.outputHeight,
                                               outputWidth: g.outputWidth, channels: c, weights: weights,
                                               gradInput: output + n * inImage, inputWidth: g.inputWidth,
                                               stride: spec.stride, padTop: g.padTop, padLeft: g.padLeft, rows: rows)
            }
        } else {
            TrainingContext.forEachImageRows(range, rowsPerImage: g.outputHeight) { n, rows in
                kernels.depthwiseForward(input: input + n * inImage, inputHeight: g.inputHeight, inputWidth: g.inputWidth,
                                         channels: c, weights: weights, output: output + n * outImage,
                                         outputWidth: g.outputWidth, stride: spec.stride, padTop: g.padTop,
                                         padLeft: g.padLeft, rows: rows)
            }
        }
    }
}

/// One chunk of output rows' depthwise weight gradient into its partial sum.
private struct DepthwiseWeightChunks: PartRunner {
    let kernels: any F32TrainingKernels, spec: LayerSpec, g: LayerGeometry, chunks: ReductionChunks
    let x: UnsafePointer<Float>, dz: UnsafePointer<Float>, partial: UnsafeMutablePointer<Float>
    var parts: Int { chunks.count }

    func run(part chunk: Int, slot: Int) {
        let c = spec.inputChannels
        let inImage = g.inputHeight * g.inputWidth * c, outImage = g.outputHeight * g.outputWidth * c
        let p = partial + chunk * 9 * c
        p.initialize(repeating: 0, count: 9 * c)
        TrainingContext.forEachImageRows(chunks.range(chunk), rowsPerImage: g.outputHeight) { n, rows in
            kernels.depthwiseBackwardWeights(input: x + n * inImage, inputHeight: g.inputHeight,
                                             inputWidth: g.inputWidth, channels: c, gradOutput: dz + n * outImage,
                                             outputWidth: g.outputWidth, stride: spec.stride, padTop: g.padTop,
                                             padLeft: g.padLeft, rows: rows, partial: p)
        }
    }
}

/// Full 3x3 (Conv2d_0, and the full_conv variant's blocks) as im2col + GEMM:
/// a window row holds the 9 taps' Cin values in HWIO order, so W [3,3,Cin,Cout]
/// is already the (9 Cin) x Cout matrix.
struct FullConvTraining3x3: TrainableConvolution {
    let spec: LayerSpec
    static let forwardBlockRows = 256

    func needs(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, inputGradient: Bool) -> ScratchNeeds {
        let k9 = 9 * spec.inputChannels, co = spec.outputChannels
        var n = ctx.gemmWeightGradientNeeds(rows: batch * g.outputHeight * g.outputWidth, k: k9, n: co)
        n.perSlot = max(n.perSlot, FullConvTraining3x3.forwardBlockRows * k9)
        // The forward packs W (9 ci x co), the input gradient W^T (co x 9 ci).
        n.shared = max(ctx.kernels.denseGEMMPackedCount(k: k9, n: co), ctx.kernels.denseGEMMPackedCount(k: co, n: k9))
        if inputGradient { n.perSlot = max(n.perSlot, g.outputHeight * g.outputWidth * k9) }
        return n
    }

    /// Window of flat output row `row` (over the batch): 9 x Cin values, zeros outside the image.
    @inline(__always)
    func window(_ x: UnsafePointer<Float>, _ g: LayerGeometry, row: Int,
                        _ store: (_ index: Int, _ value: Float) -> Void) {
        let ci = spec.inputChannels, pixels = g.outputHeight * g.outputWidth
        let n = row / pixels, p = row - n * pixels, oy = p / g.outputWidth, ox = p - oy * g.outputWidth
        let image = x + n * g.inputHeight * g.inputWidth * ci
        for ky in 0..<3 {
            let iy = oy * spec.stride + ky - g.padTop
            for kx in 0..<3 {
                let ix = ox * spec.stride + kx - g.padLeft
                let base = (ky * 3 + kx) * ci
                if iy < 0 || iy >= g.inputHeight || ix < 0 || ix >= g.inputWidth {
                    for c in 0..<ci { store(base + c, 0) }
                } else {
                    let src = image + (iy * g.inputWidth + ix) * ci
                    for c in 0..<ci { store(base + c, src[c]) }
                }
            }
        }
    }

    func forward(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                 weights: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>) {
        let k9 = 9 * spec.inputChannels, co = spec.outputChannels
        ctx.kernels.denseGEMMPackB(weights, rowStride: co, columnStride: 1, k: k9, n: co, into: ctx.shared.pointer)
        ctx.pool.parallel(FullConvForwardBlocks(ctx: ctx, conv: self, g: g, x: x, z: z,
                                                rows: batch * g.outputHeight * g.outputWidth))
    }

    /// The windows of flat output rows `rows`, transposed: value i of row j at into[i * rows.count + j].
    func transposedWindows(_ x: UnsafePointer<Float>, _ g: LayerGeometry, rows: Range<Int>,
                           into: UnsafeMutablePointer<Float>) {
        let ld = rows.count
        for (j, row) in rows.enumerated() { window(x, g, row: row) { into[$0 * ld + j] = $1 } }
    }

    func weightGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                        dz: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>) {
        ctx.gemmWeightGradient(rows: batch * g.outputHeight * g.outputWidth, k: 9 * spec.inputChannels,
                               n: spec.outputChannels, x: .windows(self, x: x, geometry: g), dz: dz, grad: grad)
    }

    func inputGradient(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, dz: UnsafePointer<Float>,
                       weights: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let k9 = 9 * spec.inputChannels, co = spec.outputChannels
        // dCol = dZ W^T per image, then each input pixel gathers its windows' values in (ky, kx) order.
        ctx.kernels.denseGEMMPackB(weights, rowStride: 1, columnStride: co, k: co, n: k9, into: ctx.shared.pointer)
        ctx.pool.parallel(FullConvInputGradientImages(ctx: ctx, spec: spec, g: g, dz: dz, dx: dx, parts: batch))
    }
}

/// Blocks of output rows: im2col into the slot's scratch, then the GEMM.
private struct FullConvForwardBlocks: PartRunner {
    let ctx: TrainingContext, conv: FullConvTraining3x3, g: LayerGeometry
    let x: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>, rows: Int
    var parts: Int { (rows + FullConvTraining3x3.forwardBlockRows - 1) / FullConvTraining3x3.forwardBlockRows }

    func run(part block: Int, slot: Int) {
        let k9 = 9 * conv.spec.inputChannels, co = conv.spec.outputChannels
        let first = block * FullConvTraining3x3.forwardBlockRows
        let count = min(FullConvTraining3x3.forwardBlockRows, rows - first)
        let col = ctx.slotScratch(slot)
        for r in 0..<count { conv.window(x, g, row: first + r) { col[r * k9 + $0] = $1 } }
        ctx.kernels.denseGEMM(m: count, k: k9, n: co, a: col, lda: k9, packedB: ctx.shared.pointer, c: z + first * co,
                              ldc: co, accumulate: false)
    }
}

/// One image's input gradient of a full 3x3 layer (W^T packed in the shared buffer).
private struct FullConvInputGradientImages: PartRunner {
    let ctx: TrainingContext, spec: LayerSpec, g: LayerGeometry
    let dz: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, parts: Int

    func run(part n: Int, slot: Int) {
        let ci = spec.inputChannels, k9 = 9 * ci, co = spec.outputChannels, pixels = g.outputHeight * g.outputWidth
        let dcol = ctx.slotScratch(slot)
        ctx.kernels.denseGEMM(m: pixels, k: co, n: k9, a: dz + n * pixels * co, lda: co, packedB: ctx.shared.pointer,
                              c: dcol, ldc: k9, accumulate: false)
        let image = dx + n * g.inputHeight * g.inputWidth * ci
        for iy in 0..<g.inputHeight {
            for ix in 0..<g.inputWidth {
                let dst = image + (iy * g.inputWidth + ix) * ci
                for c in 0..<ci { dst[c] = 0 }
                for ky in 0..<3 {
                    let ty = iy + g.padTop - ky
                    if ty < 0 || ty % spec.stride != 0 || ty / spec.stride >= g.outputHeight { continue }
                    for kx in 0..<3 {
                        let tx = ix + g.padLeft - kx
                        if tx < 0 || tx % spec.stride != 0 || tx / spec.stride >= g.outputWidth { continue }
                        let src = dcol + ((ty / spec.stride) * g.outputWidth + tx / spec.stride) * k9 + (ky * 3 + kx) * ci
                        for c in 0..<ci { dst[c] += src[c] }
                    }
                }
            }
        }
    }
}
