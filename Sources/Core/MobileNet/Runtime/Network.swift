#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MobileNetKernels

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The loaded network's forward pass, one image at a time: each pass (a
/// stage, or a fused depthwise + pointwise pair) split into parts across the
/// thread pool.
final class Network {
    let stages: [Stage]
    let logits: LogitsStage
    let pool: ThreadPool

    init(stages: [Stage], logits: LogitsStage, pool: ThreadPool) {
        self.stages = stages
        self.logits = logits
        self.pool = pool
    }

    func makeArena(height: Int, width: Int) throws -> Arena {
        try Arena(stages: stages, logits: logits, height: height, width: width, slots: pool.threadCount)
    }

    /// How many parts a stage of `units` units of work is split into: several
    /// per thread, so a slowed core can be balanced by the others.
    func parts(_ units: Int) -> Int { max(min(units, pool.threadCount * 6), 1) }

    /// Runs one image (NHWC, arena.height x arena.width x 3) and writes
    /// `logits.numClasses` logits to `output`, with the early depthwise and
    /// pointwise stages fused or not (`Pass`; the bits are the same).
    /// With `passSeconds` (arena.passes(fused:).count + 1 entries: the last is
    /// pooling and logits), adds each pass's wall time to it.
    func forward(_ input: UnsafePointer<Float>, arena: Arena, output: UnsafeMutablePointer<Float>,
                 fused: Bool, passSeconds: UnsafeMutablePointer<Double>? = nil) {
        var source = input
        var clock = passSeconds == nil ? 0 : monotonicSeconds()
        let passes = arena.passes(fused: fused)
        for (index, pass) in passes.enumerated() {
            let destination = index % 2 == 0 ? arena.ping.pointer : arena.pong.pointer
            switch pass {
            case let .single(stage):
                run(stage: stage, from: source, to: destination, arena: arena)
            case let .fused(pair):
                pool.parallel(FusedJob(depthwise: pair.depthwise, pointwise: pair.pointwise,
                                       depthwiseStep: arena.steps[pair.first], pointwiseStep: arena.steps[pair.first + 1],
                                       tileRows: pair.tileRows,
                                       input: source, output: destination, scratch: arena.scratch.pointer,
                                       scratchPerSlot: arena.scratchPerSlot))
            }
            source = UnsafePointer(destination)
            if let passSeconds {
                let now = monotonicSeconds()
                passSeconds[index] += now - clock
                clock = now
            }
        }
        let last = arena.steps[arena.steps.count - 1].output
        GlobalAveragePool.run(input: source, pixels: last.height * last.width, pixelStride: last.pixelStride,
                              channels: logits.inputChannels, output: arena.pooled.pointer)
        // The logits layer streams 4 MB of weights for one row: split by columns.
        let parts = self.parts(PointwiseGEMM.panelCount(n: logits.paddedClasses))
        pool.parallel(GEMMJob(m: 1, k: logits.inputChannels, n: logits.paddedClasses, a: arena.pooled.pointer,
                              lda: logits.inputChannels, packedB: logits.weights.pointer, bias: logits.bias.pointer,
                              c: arena.logits.pointer, ldc: logits.paddedClasses, activation: .none,
                              split: .panels, parts: parts))
        output.update(from: arena.logits.pointer, count: self.logits.numClasses)
        if let passSeconds { passSeconds[passes.count] += monotonicSeconds() - clock }
    }

    /// One stage on its own, from `src` to `destination`.
    private func run(stage index: Int, from src: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>,
                     arena: Arena) {
        let step = arena.steps[index]
        switch stages[index] {
        case let .conv(conv) where conv.isDirect:
            pool.parallel(DirectConvJob(conv: conv, step: step, input: src, output: destination,
                                        parts: parts(step.output.height)))
        case let .conv(conv):
            pool.parallel(Im2colConvJob(conv: conv, step: step, input: src, output: destination,
                                        scratch: arena.scratch.pointer, scratchPerSlot: arena.scratchPerSlot,
                                        parts: parts(step.output.height)))
        case let .depthwise(dw):
            pool.parallel(DepthwiseJob(stage: dw, step: step, input: src, output: destination,
                                       parts: parts(step.output.height)))
        case let .pointwise(pw):
            let pixels = step.output.height * step.output.width
            // Small images, wide layers (7x7x1024): weights dominate the
            // traffic, so each thread takes its own column panels of them.
            let byPanels = pw.outputChannels > pixels
            let units = byPanels ? PointwiseGEMM.panelCount(n: pw.outputChannels)
                                 : (pixels + PointwiseGEMM.rowBlock - 1) / PointwiseGEMM.rowBlock
            pool.parallel(GEMMJob(m: pixels, k: pw.inputChannels, n: pw.outputChannels, a: src,
                                  lda: step.input.pixelStride, packedB: pw.weights.pointer, bias: pw.bias.pointer,
                                  c: destination, ldc: step.output.pixelStride, activation: .relu6,
                                  split: byPanels ? .panels : .rows, parts: parts(units)))
        }
    }
}
