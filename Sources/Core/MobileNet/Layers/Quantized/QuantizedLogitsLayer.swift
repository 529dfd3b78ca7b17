import MobileNetKernelInterface

/// The 8-bit logits: the pooled features (floats, exactly scale x offset)
/// back to offset values, the integer GEMM split by column panels (1 row x
/// 1008 columns: the weights are the traffic), and the result dequantized
/// as TFLite's DEQUANTIZE does, so `run` returns float logits.
final class QuantizedLogitsLayer: Operator {
    let spec: LayerSpec
    let gemm: QuantizedPointwise1x1Layer
    let input: QuantizedNetwork.Affine
    let output: QuantizedNetwork.Affine

    init(_ layer: QuantizedNetwork.Layer, element: QuantizedNetwork.Element, kernels: any QS8Kernels) throws {
        spec = layer.spec
        input = layer.input
        output = layer.output
        gemm = try QuantizedPointwise1x1Layer(layer, kernels: kernels, rows: spec.inputChannels,
                                              paddedRows: roundUpTo8(spec.inputChannels), input: layer.input,
                                              element: element)
    }

    var outputPixelStride: Int { gemm.outputChannels }

    /// Per slot: room for the input row as offset values (slot 0's holds it
    /// for every part), then the GEMM's scratch.
    func scratchFloats(_ step: Step) -> Int { (gemm.inputChannels + 1) / 2 + gemm.scratchFloats(m: 1) }

    /// The integer logits go to the upper half of the output's n floats (as
    /// 2n Int16s, index n..<2n), every part writing its own panels; then one
    /// pass dequantizes them into floats 0..<n in place, in increasing order:
    /// float j (bytes 4j...4j+3) is written after Int16 n+j (bytes 2n+2j...)
    /// is read, and every later read lies above it, so that pass needs no scratch.
    func forward(_ step: Step, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                 scratch: Scratch, pool: ThreadPool) {
        let n = gemm.outputChannels, k = gemm.inputChannels
        let integers = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Int16.self) + n
        // The input row once, before the parts (each part converting it
        // again cost 12 x 1024 libm round calls at 2 threads).
        let row = UnsafeMutableRawPointer(scratch.base).assumingMemoryBound(to: Int16.self)
        for c in 0..<k {
            // Exact: the pool wrote scale x v rounded to float (|v| <= 255).
            row[c] = c < spec.inputChannels ? Int16((Double(input[c]) / Double(self.input.scale)).rounded()) : 0
        }
        let panels = gemm.kernels.qgemmPanelCount(n: n)
        pool.parallel(QuantizedLogitsJob(layer: self, row: row, integers: integers, scratch: scratch,
                                         panels: panels, parts: parts(panels, pool: pool)))
        for j in 0..<n {
            let v = Int32(integers[j])
            output[j] = j < spec.outputChannels ? AffineQuantization.dequantize(v, scale: self.output.scale) : 0
        }
    }

    /// Panels `panels` of the logits of the offset-value row `row`.
    func run(panels: Range<Int>, row: UnsafePointer<Int16>, integers: UnsafeMutablePointer<Int16>,
             gemmScratch: UnsafeMutableRawPointer) {
        let k = gemm.inputChannels
        gemm.run(m: 1, a: row, lda: k, c: integers, ldc: gemm.outputChannels, panels: panels, scratch: gemmScratch)
    }
}

private struct QuantizedLogitsJob: PartRunner {
    let layer: QuantizedLogitsLayer
    let row: UnsafePointer<Int16>
    let integers: UnsafeMutablePointer<Int16>
    let scratch: Scratch
    let panels: Int
    let parts: Int

    func run(part: Int, slot: Int) {
        let range = partition(panels, part: part, parts: parts)
        guard !range.isEmpty else { return }
        // This slot's GEMM scratch, after the input row's room.
        let mine = UnsafeMutableRawPointer(scratch.base + slot * scratch.perSlot
                                           + (layer.gemm.inputChannels + 1) / 2)
        layer.run(panels: range, row: row, integers: integers, gemmScratch: mine)
    }
}
