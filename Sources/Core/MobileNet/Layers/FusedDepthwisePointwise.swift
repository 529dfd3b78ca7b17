import MobileNetKernelInterface

/// A depthwise layer and the pointwise layer after it, run as one pass: the
/// depthwise output is computed a few rows at a time into the thread's
/// scratch and multiplied by the pointwise weights at once, so it never makes
/// a round trip through a full-size buffer (nor between cores). Each tile
/// re-reads the pointwise weights, so only the early blocks qualify, whose
/// activations outweigh their weights. Measured (docs/performance.md): 2-5%
/// faster with 2 threads, 2-3% slower with 1, so multi-threaded single-image
/// runs fuse and others do not; unfused, a float32 inference at 2 threads
/// took 1.10x the time on Zen 4 (2026-12-04). The 8-bit layers fuse the same
/// way (TiledDepthwise, TiledPointwise): 0.96x at 2 threads, 1.01x at 1.
/// The bits are the same either way: tiles start on multiples of the
/// pointwise GEMM's own row block (8-bit: 6 rows; tiles of the float32
/// block's 8 left a partial block in every tile, 0.98x at 2 threads when
/// fixed), and every pixel takes the same kernel path as unfused (the 8-bit
/// kernels are exact integers at any tiling).
///
/// A class, so the Pass enum holds a plain pointer to it: with struct
/// payloads, leak checkers miss the references that the case tag bits hide.
final class FusedDepthwisePointwise {
    let depthwise: any TiledDepthwise
    let pointwise: any TiledPointwise
    /// The depthwise layer's index; the pointwise layer is the next.
    let first: Int
    let tileRows: Int

    init(depthwise: any TiledDepthwise, pointwise: any TiledPointwise, first: Int, tileRows: Int) {
        self.depthwise = depthwise
        self.pointwise = pointwise
        self.first = first
        self.tileRows = tileRows
    }

    /// Fuse when there are more pixels than output channels (the pointwise
    /// layer would be split by rows anyway) and the weights each tile re-reads
    /// fit easily in a core's L2 cache (64 Ki weights, 256 KiB in float32).
    static func worthFusing(pixels: Int, pointwise: any TiledPointwise) -> Bool {
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

    /// Floats of one tile of depthwise output (its pixel stride counted in
    /// floats, as the arena counts 8-bit activations too).
    func tileFloats(tile: ActivationLayout) -> Int { tileRows * tile.width * tile.pixelStride }

    /// Scratch floats per thread: one tile, then the pointwise GEMM's own.
    func scratchFloats(tile: ActivationLayout) -> Int {
        tileFloats(tile: tile) + (pointwise.tileScratchBytes(m: tileRows * tile.width) + 3) / 4
    }
}

/// A depthwise layer a fused pass runs a few output rows of at a time.
protocol TiledDepthwise: Operator {
    /// Output rows `rows` into `tile`, which holds rows from rows.lowerBound
    /// on, laid out as `layout` (the layer's output layout).
    func runRows(_ step: Step, input: UnsafePointer<Float>, tile: UnsafeMutableRawPointer,
                 layout: ActivationLayout, rows: Range<Int>)
}

/// A pointwise layer a fused pass runs on a tile of depthwise output.
protocol TiledPointwise: Operator {
    /// Padded input and output channels.
    var inputChannels: Int { get }
    var outputChannels: Int { get }
    /// Rows of its GEMM's tile: tiles of the fused pass hold whole blocks of them.
    var gemmRowBlock: Int { get }
    /// Bytes of a thread's GEMM scratch for a tile of m pixels.
    func tileScratchBytes(m: Int) -> Int
    /// The m pixels of `tile` (`tileStride` values apart) into the output
    /// from pixel `firstPixel` on; `scratch` holds tileScratchBytes(m:).
    func runTile(m: Int, tile: UnsafeRawPointer, tileStride: Int, output: UnsafeMutablePointer<Float>,
                 firstPixel: Int, outputStride: Int, scratch: UnsafeMutableRawPointer)
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
        pair.depthwise.runRows(depthwiseStep, input: input, tile: UnsafeMutableRawPointer(buffer), layout: tile,
                               rows: rows)
        pair.pointwise.runTile(m: rows.count * tile.width, tile: UnsafeRawPointer(buffer), tileStride: tile.pixelStride,
                               output: output, firstPixel: rows.lowerBound * tile.width,
                               outputStride: pointwiseStep.output.pixelStride,
                               scratch: UnsafeMutableRawPointer(buffer + pair.tileFloats(tile: tile)))
    }
}
