import MobileNetKernels

/// Everything one inference at one input size needs, planned and allocated
/// once: the layer-by-layer shapes and paddings, the passes that run them
/// (fused or not), two ping-pong activation buffers, per-thread scratch
/// (im2col rows, fused depthwise tiles), the pooled features, the logits and
/// an image buffer for preprocessing.
final class Arena {
    struct Step {
        let input: ActivationLayout
        let output: ActivationLayout
        let padTop: Int
        let padLeft: Int
    }

    let height: Int
    let width: Int
    let steps: [Step]
    let singlePasses: [Pass]
    let fusedPasses: [Pass]
    let ping: AlignedBuffer
    let pong: AlignedBuffer
    let scratch: AlignedBuffer
    let scratchPerSlot: Int
    let pooled: AlignedBuffer
    let logits: AlignedBuffer
    let image: AlignedBuffer

    init(stages: [Stage], logits: LogitsStage, height: Int, width: Int, slots: Int) throws {
        self.height = height
        self.width = width
        var steps: [Step] = []
        var layout = ActivationLayout(height: height, width: width, pixelStride: 3)
        var maxActivation = 0, maxScratch = 0
        for stage in stages {
            let stride = stage.spec.stride
            let rows = SamePadding(input: layout.height, stride: stride)
            let cols = SamePadding(input: layout.width, stride: stride)
            let output = ActivationLayout(height: rows.output, width: cols.output, pixelStride: stage.outputPixelStride)
            steps.append(Step(input: layout, output: output, padTop: rows.before, padLeft: cols.before))
            maxActivation = max(maxActivation, output.height * output.width * output.pixelStride)
            if case let .conv(conv) = stage {
                maxScratch = max(maxScratch, output.width * 9 * conv.inputChannels)
            }
            layout = output
        }
        self.steps = steps
        singlePasses = Pass.plan(stages: stages, steps: steps, fuse: false)
        fusedPasses = Pass.plan(stages: stages, steps: steps, fuse: true)
        for case let .fused(pair) in fusedPasses {
            let tile = steps[pair.first].output
            maxScratch = max(maxScratch, pair.tileRows * tile.width * tile.pixelStride)
        }
        ping = try AlignedBuffer(count: maxActivation, zeroed: false)
        pong = try AlignedBuffer(count: maxActivation, zeroed: false)
        scratchPerSlot = maxScratch
        scratch = try AlignedBuffer(count: maxScratch * slots, zeroed: false)
        pooled = try AlignedBuffer(count: logits.inputChannels)
        self.logits = try AlignedBuffer(count: logits.paddedClasses)
        image = try AlignedBuffer(count: height * width * 3, zeroed: false)
    }
}

/// Arenas kept for reuse, so that after the first inference at a size, later
/// ones allocate nothing. Concurrent callers each take their own arena.
final class ArenaCache {
    let maxKept: Int
    private let mutex = PThreadMutex()
    private var free: [Arena] = []

    init(maxKept: Int) { self.maxKept = maxKept }

    func take(height: Int, width: Int, make: () throws -> Arena) throws -> Arena {
        let cached: Arena? = mutex.withLock {
            guard let i = free.lastIndex(where: { $0.height == height && $0.width == width }) else { return nil }
            return free.remove(at: i)
        }
        return try cached ?? make()
    }

    func give(_ arena: Arena) {
        mutex.withLock {
            if free.count >= maxKept { free.removeFirst() }
            free.append(arena)
        }
    }
}

extension Arena {
    func passes(fused: Bool) -> [Pass] { fused ? fusedPasses : singlePasses }
}
