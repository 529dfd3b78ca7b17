import MobileNetKernelInterface

/// An 8-bit 1x1 convolution (or the 3x3 first convolution's GEMM): offset
/// weights packed once for the tier's integer GEMM, TFLite's per-channel
/// output stage.
final class QuantizedPointwise1x1Layer: TiledPointwise {
    let spec: LayerSpec
    let kernels: any QS8Kernels
    let inputChannels: Int
    let outputChannels: Int
    let weights: AlignedArray<Int16>
    let stage: QuantizedOutputStage

    /// `weights` (default `layer.weights`) is k x n ([input][output]) with k = `rows`.
    /// `input` is the affine of the stored input values, `element` their type.
    init(_ layer: QuantizedNetwork.Layer, kernels: any QS8Kernels, rows: Int, paddedRows: Int,
         input: QuantizedNetwork.Affine, element: QuantizedNetwork.Element, weights values: [Int16]? = nil) throws {
        spec = layer.spec
        self.kernels = kernels
        inputChannels = paddedRows
        outputChannels = roundUpTo8(spec.outputChannels)
        weights = try QuantizedPointwise1x1Layer.pack(values ?? layer.weights, rows: rows, columns: spec.outputChannels,
                                                      paddedRows: paddedRows, paddedColumns: outputChannels,
                                                      inputOffset: input.zeroPoint - element.range.lowerBound,
                                                      kernels: kernels)
        stage = try QuantizedOutputStage(layer, paddedChannels: outputChannels)
    }

    static func pack(_ values: [Int16], rows: Int, columns: Int, paddedRows: Int, paddedColumns: Int,
                     inputOffset: Int32, kernels: any QS8Kernels) throws -> AlignedArray<Int16> {
        let dense = try AlignedArray<Int16>(count: paddedRows * paddedColumns)
        for r in 0..<rows {
            for c in 0..<columns { dense.pointer[r * paddedColumns + c] = values[r * columns + c] }
        }
        let packed = try AlignedArray<Int16>(count: kernels.qgemmPackedCount(k: paddedRows, n: paddedColumns))
        kernels.qgemmPack(dense.pointer, k: paddedRows, n: paddedColumns, inputOffset: inputOffset,
                          into: packed.pointer)
        return packed
    }

    var outputPixelStride: Int { quantizedPixelStride(channels: outputChannels) }

    /// Per slot: the GEMM's own scratch for up to m rows (A's rows as bytes on AVX-512).
    func gemmScratchBytes(m: Int) -> Int { kernels.qgemmScratchBytes(m: m, k: inputChannels, n: outputChannels) }

    /// Floats of a slot's GEMM scratch for calls of up to m rows.
    func scratchFloats(m: Int) -> Int { (gemmScratchBytes(m: m) + 3) / 4 }

    func scratchFloats(_ step: Step) -> Int { scratchFloats(m: step.output.height * step.output.width) }

    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        let pixels = step.output.height * step.output.width
        // As the float layer: few pixels and many channels split by panels.
        // Split that way, every part first converts all of A to bytes
        // (AVX-512), so one part per thread: at 2 threads a whole inference
        // took 0.93-0.94x the time of 6 parts per thread (Zen 4).
        let byPanels = splitsByPanels(pixels: pixels, outputChannels: outputChannels,
                                      rowBlock: kernels.qgemmRowBlock, pool: pool)
        let units = byPanels ? kernels.qgemmPanelCount(n: outputChannels)
                             : (pixels + kernels.qgemmRowBlock - 1) / kernels.qgemmRowBlock
        pool.parallel(QuantizedGEMMJob(layer: self, m: pixels, a: UnsafeRawPointer(input).assumingMemoryBound(to: Int16.self),
                                       lda: step.input.pixelStride,
                                       c: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Int16.self),
                                       ldc: step.output.pixelStride, byPanels: byPanels, scratch: scratch,
                                       parts: byPanels ? max(min(units, pool.threadCount), 1)
                                                       : parts(units, pool: pool)))
    }

    var gemmRowBlock: Int { kernels.qgemmRowBlock }

    func tileScratchBytes(m: Int) -> Int { gemmScratchBytes(m: m) }

    func runTile(m: Int, tile: UnsafeRawPointer, tileStride: Int, output: UnsafeMutablePointer<Float>,
                 firstPixel: Int, outputStride: Int, scratch: UnsafeMutableRawPointer) {
        let c = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Int16.self)
        run(m: m, a: tile.assumingMemoryBound(to: Int16.self), lda: tileStride, c: c + firstPixel * outputStride,
            ldc: outputStride, panels: nil, scratch: scratch)
    }

    /// `scratch`: gemmScratchBytes(m:) bytes of the calling part's own.
    @inline(__always)
    func run(m: Int, a: UnsafePointer<Int16>, lda: Int, c: UnsafeMutablePointer<Int16>, ldc: Int,
             panels: Range<Int>?, scratch: UnsafeMutableRawPointer?) {
        kernels.qgemm(m: m, k: inputChannels, n: outputChannels, a: a, lda: lda, packedB: weights.pointer,
                      requantization: stage.requantization, c: c, ldc: ldc, panels: panels,
                      scratch: gemmScratchBytes(m: m) > 0 ? scratch : nil)
    }
}

/// An 8-bit GEMM split by whole row blocks or by column panels.
private struct QuantizedGEMMJob: PartRunner {
    let layer: QuantizedPointwise1x1Layer
    let m: Int
    let a: UnsafePointer<Int16>
    let lda: Int
    let c: UnsafeMutablePointer<Int16>
    let ldc: Int
    let byPanels: Bool
    let scratch: Scratch
    let parts: Int

    func run(part: Int, slot: Int) {
        let mine = UnsafeMutableRawPointer(scratch.base + slot * scratch.perSlot)
        if byPanels {
            let panels = partition(layer.kernels.qgemmPanelCount(n: layer.outputChannels), part: part, parts: parts)
            guard !panels.isEmpty else { return }
            layer.run(m: m, a: a, lda: lda, c: c, ldc: ldc, panels: panels, scratch: mine)
        } else {
            let rows = partition(m, part: part, parts: parts, granule: layer.kernels.qgemmRowBlock)
            guard !rows.isEmpty else { return }
            layer.run(m: rows.count, a: a + rows.lowerBound * lda, lda: lda, c: c + rows.lowerBound * ldc, ldc: ldc,
                      panels: nil, scratch: mine)
        }
    }
}
