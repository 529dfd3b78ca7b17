import MobileNetKernels

/// One step of the forward pass as the runtime runs it: a single stage, or a
/// depthwise stage fused with the pointwise stage after it.
///
/// A fused pass computes the depthwise output a few rows at a time into the
/// thread's scratch and multiplies that tile by the pointwise weights at once,
/// so the depthwise activations never make a round trip through a full-size
/// buffer (nor between cores). Each tile re-reads the pointwise weights, so
/// only the early blocks qualify, whose activations outweigh their weights.
/// Measured (docs/performance.md): 2-5% faster with 2 threads, 2-3% slower
/// with 1, so multi-threaded single-image runs fuse and others do not. The
/// bits are the same either way.
enum Pass {
    case single(stage: Int)
    case fused(FusedPair)

    /// Plans the passes for one input size (`steps` holds each stage's shapes).
    static func plan(stages: [Stage], steps: [Arena.Step], fuse: Bool) -> [Pass] {
        var passes: [Pass] = []
        var index = 0
        while index < stages.count {
            if fuse, index + 1 < stages.count, case let .depthwise(dw) = stages[index],
               case let .pointwise(pw) = stages[index + 1], pw.inputChannels == dw.channels,
               worthFusing(pixels: steps[index].output.height * steps[index].output.width, pointwise: pw) {
                let tile = steps[index].output
                passes.append(.fused(FusedPair(depthwise: dw, pointwise: pw, first: index,
                                               tileRows: tileRows(width: tile.width, height: tile.height))))
                index += 2
            } else {
                passes.append(.single(stage: index))
                index += 1
            }
        }
        return passes
    }

    /// Fuse when there are more pixels than output channels (the pointwise
    /// layer would be split by rows anyway) and the weights each tile re-reads
    /// fit easily in a core's L2 cache (64 Ki floats, 256 KiB).
    static func worthFusing(pixels: Int, pointwise pw: PointwiseStage) -> Bool {
        pixels > pw.outputChannels && pw.inputChannels * pw.outputChannels <= 65_536
    }

    /// The fewest rows holding a multiple of the GEMM's 6-row block (so no
    /// tile but the last has leftover rows) and at least 36 pixels.
    static func tileRows(width: Int, height: Int) -> Int {
        var a = PointwiseGEMM.rowBlock, b = max(width, 1)
        while b != 0 { (a, b) = (b, a % b) }
        let unit = PointwiseGEMM.rowBlock / a
        let units = max(1, (36 + unit * width - 1) / (unit * width))
        return max(1, min(unit * units, height))
    }
}

/// Stages `first` (depthwise) and `first + 1` (pointwise) run as one pass, in
/// tiles of `tileRows` output rows (the last tile takes what remains). A class,
/// so the enum above holds a plain pointer to it: with struct payloads, leak
/// checkers miss the references that the case tag bits hide.
final class FusedPair {
    let depthwise: DepthwiseStage
    let pointwise: PointwiseStage
    let first: Int
    let tileRows: Int

    init(depthwise: DepthwiseStage, pointwise: PointwiseStage, first: Int, tileRows: Int) {
        self.depthwise = depthwise
        self.pointwise = pointwise
        self.first = first
        self.tileRows = tileRows
    }
}
