import MobileNetKernelInterface

/// A depthwise layer and the pointwise layer after it, run as one pass: the
/// depthwise output is computed a few rows at a time into the thread's
/// scratch and multiplied by the pointwise weights at once, so it never makes
/// a round trip through a full-size buffer (nor between cores). Each tile
/// re-reads the pointwise weights, so only the early blocks qualify, whose
/// activations outweigh their weights. Measured (docs/performance.md): 2-5%
/// faster with 2 threads, 2-3% slower with 1, so multi-threaded single-image
/// runs fuse and others do not. The bits are the same either way: tiles
/// start on multiples of the GEMM's row block, and every pixel takes the
/// same kernel path as unfused.
///
/// A class, so the Pass enum holds a plain pointer to it: with struct
/// payloads, leak checkers miss the references that the case tag bits hide.
final class FusedDepthwisePointwise {
    let depthwise: Depthwise3x3Layer
    let pointwise: Pointwise1x1Layer
    /// The depthwise layer's index; the pointwise layer is the next.
    let first: Int
    let tileRows: Int

    init(depthwise: Depthwise3x3Layer, pointwise: Pointwise1x1Layer, first: Int, tileRows: Int) {
        self.depthwise = depthwise
        self.pointwise = pointwise
        self.first = first
        self.tileRows = tileRows
    }

    /// Fuse when there are more pixels than output channels (the pointwise
    /// layer would be split by rows anyway) and the weights each tile re-reads
    /// fit easily in a core's L2 cache (64 Ki floats, 256 KiB).
    static func worthFusing(pixels: Int, pointwise: Pointwise1x1Layer) -> Bool {
        pixels > pointwise.outputChannels && pointwise.inputChannels * pointwise.outputChannels <= 65_536
    }

    /// The fewest rows holding a multiple of the GEMM's row block (so no tile
    /// but the last has leftover rows) and at least 36 pixels.
    static func tileRows(width: Int, height: Int, rowBlock: Int) -> Int {
        var a = rowBlock, b = max(width, 1)
        while b != 0 { (a, b) = (b, a % b) }
        let unit = rowBlock / a
        let units = max(1, (36 + unit * width - 1) / (unit * width))
        return max(1, min(unit * units, height))
    }

    /// Scratch floats per thread: one tile of depthwise output.
    func scratchFloats(tile: ActivationLayout) -> Int { tileRows * tile.width * tile.pixelStride }
}



/// One tile of depthwise output rows per part: into the thread's scratch,
/// then times the pointwise weights straight into the output.
struct FusedJob: PartRunner {
    let pair: FusedDepthwisePointwise
    let depthwiseStep: Step
    let pointwiseStep: Step
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let scratch: Scratch

    var parts: Int { (depthwiseStep.output.height + pair.tileRows - 1) / pair.tileRows }

    func run(part: Int, slot: Int) {
        let tile = depthwiseStep.output
        let rows = (part * pair.tileRows)..<min((part + 1) * pair.tileRows, tile.height)
        let buffer = scratch.base + slot * scratch.perSlot
        pair.depthwise.run(depthwiseStep, input: input, output: buffer, outputLayout: tile, rows: rows,
                           firstOutputRow: rows.lowerBound)
        pair.pointwise.run(m: rows.count * tile.width, input: buffer, inputStride: tile.pixelStride,
                           output: output + rows.lowerBound * tile.width * pointwiseStep.output.pixelStride,
                           outputStride: pointwiseStep.output.pixelStride)
    }
}
