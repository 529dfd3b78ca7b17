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

/// The loaded network's forward pass: each stage split by output rows across
/// the thread pool, one image at a time.
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

    /// Part `part` of `parts` of 0..<count, in whole multiples of `granule`
    /// (the last part takes the remainder).
    @inline(__always)
    static func partition(_ count: Int, part: Int, parts: Int, granule: Int = 1) -> Range<Int> {
        let blocks = (count + granule - 1) / granule
        let lower = min(blocks * part / parts * granule, count)
        let upper = min(blocks * (part + 1) / parts * granule, count)
        return lower..<upper
    }

    /// Runs one image (NHWC, arena.height x arena.width x 3) and writes
    /// `logits.numClasses` logits to `output`.
    /// With `stageSeconds` (stages.count + 1 entries: the last is pooling and
    /// logits), adds each stage's wall time to it.
    func forward(_ input: UnsafePointer<Float>, arena: Arena, output: UnsafeMutablePointer<Float>,
                 stageSeconds: UnsafeMutablePointer<Double>? = nil) {
        var source = input
        var clock = stageSeconds == nil ? 0 : monotonicSeconds()
        for (index, stage) in stages.enumerated() {
            if let stageSeconds {
                let now = monotonicSeconds()
                if index > 0 { stageSeconds[index - 1] += now - clock }
                clock = now
            }
            let step = arena.steps[index]
            let destination = index % 2 == 0 ? arena.ping.pointer : arena.pong.pointer
            let src = source
            switch stage {
            case let .conv(conv) where conv.isDirect:
                let parts = self.parts(step.output.height)
                pool.parallel(parts: parts) { part, _ in
                    DirectConv3x3.run(inputChannels: conv.inputChannels, outputChannels: conv.outputChannels,
                                      input: src, inputLayout: step.input, weights: conv.weights.pointer,
                                      bias: conv.bias.pointer, output: destination, outputLayout: step.output,
                                      stride: conv.spec.stride, padTop: step.padTop, padLeft: step.padLeft,
                                      rows: Network.partition(step.output.height, part: part, parts: parts))
                }
            case let .conv(conv):
                let k = 9 * conv.inputChannels
                let parts = self.parts(step.output.height)
                pool.parallel(parts: parts) { part, slot in
                    let row = arena.scratch.pointer + slot * arena.scratchPerSlot
                    for oy in Network.partition(step.output.height, part: part, parts: parts) {
                        Im2col3x3.row(input: src, layout: step.input, channels: conv.inputChannels, oy: oy,
                                      outputWidth: step.output.width, stride: conv.spec.stride,
                                      padTop: step.padTop, padLeft: step.padLeft, into: row)
                        PointwiseGEMM.run(m: step.output.width, k: k, n: conv.outputChannels, a: row, lda: k,
                                          packedB: conv.weights.pointer, bias: conv.bias.pointer,
                                          c: destination + oy * step.output.width * step.output.pixelStride,
                                          ldc: step.output.pixelStride, activation: .relu6)
                    }
                }
            case let .depthwise(dw):
                let parts = self.parts(step.output.height)
                pool.parallel(parts: parts) { part, _ in
                    Depthwise3x3.run(stride: dw.spec.stride, channels: dw.channels, input: src,
                                     inputLayout: step.input, weights: dw.weights.pointer, bias: dw.bias.pointer,
                                     output: destination, outputLayout: step.output,
                                     padTop: step.padTop, padLeft: step.padLeft,
                                     rows: Network.partition(step.output.height, part: part, parts: parts))
                }
            case let .pointwise(pw):
                let pixels = step.output.height * step.output.width
                let panels = PointwiseGEMM.panelCount(n: pw.outputChannels)
                if pw.outputChannels > pixels {
                    // Small images, wide layers (7x7x1024): weights dominate the
                    // traffic, so each thread takes its own column panels of them.
                    let parts = self.parts(panels)
                    pool.parallel(parts: parts) { part, _ in
                        let mine = Network.partition(panels, part: part, parts: parts)
                        guard !mine.isEmpty else { return }
                        PointwiseGEMM.run(m: pixels, k: pw.inputChannels, n: pw.outputChannels,
                                          a: src, lda: step.input.pixelStride,
                                          packedB: pw.weights.pointer, bias: pw.bias.pointer,
                                          c: destination, ldc: step.output.pixelStride, activation: .relu6,
                                          panels: mine)
                    }
                } else {
                    let parts = self.parts((pixels + PointwiseGEMM.rowBlock - 1) / PointwiseGEMM.rowBlock)
                    pool.parallel(parts: parts) { part, _ in
                        let rows = Network.partition(pixels, part: part, parts: parts, granule: PointwiseGEMM.rowBlock)
                        guard !rows.isEmpty else { return }
                        PointwiseGEMM.run(m: rows.count, k: pw.inputChannels, n: pw.outputChannels,
                                          a: src + rows.lowerBound * step.input.pixelStride,
                                          lda: step.input.pixelStride,
                                          packedB: pw.weights.pointer, bias: pw.bias.pointer,
                                          c: destination + rows.lowerBound * step.output.pixelStride,
                                          ldc: step.output.pixelStride, activation: .relu6)
                    }
                }
            }
            source = UnsafePointer(destination)
        }
        if let stageSeconds {
            let now = monotonicSeconds()
            stageSeconds[stages.count - 1] += now - clock
            clock = now
        }
        let last = arena.steps[arena.steps.count - 1].output
        GlobalAveragePool.run(input: source, pixels: last.height * last.width, pixelStride: last.pixelStride,
                              channels: logits.inputChannels, output: arena.pooled.pointer)
        // The logits layer streams 4 MB of weights for one row: split by columns.
        let panels = PointwiseGEMM.panelCount(n: logits.paddedClasses)
        let parts = self.parts(panels)
        let logits = self.logits
        pool.parallel(parts: parts) { part, _ in
            PointwiseGEMM.run(m: 1, k: logits.inputChannels, n: logits.paddedClasses, a: arena.pooled.pointer,
                              lda: logits.inputChannels, packedB: logits.weights.pointer, bias: logits.bias.pointer,
                              c: arena.logits.pointer, ldc: logits.paddedClasses, activation: .none,
                              panels: Network.partition(panels, part: part, parts: parts))
        }
        output.update(from: arena.logits.pointer, count: self.logits.numClasses)
        if let stageSeconds { stageSeconds[stages.count] += monotonicSeconds() - clock }
    }
}
