#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MobileNetKernelInterface

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The compiled network and its forward pass, one image at a time: each pass
/// of the arena's plan (a layer, or a fused depthwise + pointwise pair) split
/// into parts across the thread pool, from the previous pass's output in the
/// slab to its own.
final class Network {
    /// What a forward pass ends with: the logits, or the embedding (the
    /// global-average-pooled features before the logits layer, which it then
    /// skips: 4 MB less weight traffic at 1001 classes).
    enum Output {
        case logits
        case embedding
    }

    let layers: [any Operator]
    let kernels: any F32Kernels
    let pool: ThreadPool
    let numClasses: Int
    /// The pooling layer's index: its output is the embedding.
    let embeddingLayer: Int
    /// Floats per embedding: the pooled channels, without padding.
    let embeddingSize: Int

    init(layers: [any Operator], kernels: any F32Kernels, pool: ThreadPool, numClasses: Int) throws {
        self.layers = layers
        self.kernels = kernels
        self.pool = pool
        self.numClasses = numClasses
        guard let pooling = layers.lastIndex(where: { $0.spec.type == .averagePool }) else {
            throw MobileNetError(.internal, "the network has no global average pool")
        }
        embeddingLayer = pooling
        embeddingSize = layers[pooling].spec.outputChannels
    }

    /// Floats one image's output holds.
    func outputCount(_ output: Output) -> Int { output == .logits ? numClasses : embeddingSize }

    func makeArena(height: Int, width: Int) throws -> Arena {
        try Arena(layers: layers, height: height, width: width, slots: pool.threadCount)
    }

    func arenaBytes(height: Int, width: Int) -> Int {
        Arena.bytes(layers: layers, height: height, width: width, slots: pool.threadCount)
    }

    /// Runs one image (NHWC, arena.height x arena.width x 3) and returns the
    /// arena's (padded) logits, also copied to `output` if given. With
    /// `passSeconds` (one entry per pass of the plan), adds each pass's wall
    /// time to it.
    @discardableResult
    func forward(_ input: UnsafePointer<Float>, arena: Arena, output: UnsafeMutablePointer<Float>?, fused: Bool,
                 until end: Output = .logits,
                 passSeconds: UnsafeMutablePointer<Double>? = nil,
                 afterPass: ((_ pass: Pass, _ output: UnsafePointer<Float>, _ step: Step) -> Void)? = nil)
        -> UnsafeMutablePointer<Float> {
        let plan = arena.plan(fused: fused)
        let scratch = arena.scratchArea
        var source = input
        var destination = arena.slab.pointer
        var clock = passSeconds == nil ? 0 : monotonicSeconds()
        let passes = end == .logits ? plan.passes.count : plan.pass(containing: embeddingLayer) + 1
        for (index, pass) in plan.passes.prefix(passes).enumerated() {
            destination = arena.slab.pointer + plan.outputOffsets[index]
            switch pass {
            case let .single(layer):
                layers[layer].forward(plan.steps[layer], input: source, output: destination, scratch: scratch,
                                      pool: pool)
            case let .fused(pair):
                pool.parallel(FusedJob(pair: pair, depthwiseStep: plan.steps[pair.first],
                                       pointwiseStep: plan.steps[pair.first + 1], input: source,
                                       output: destination, scratch: scratch))
            }
            source = UnsafePointer(destination)
            // The quantizer's calibration reads each (unfused) pass's output here.
            if let afterPass, case let .single(layer) = pass { afterPass(pass, source, plan.steps[layer]) }
            if let passSeconds {
                let now = monotonicSeconds()
                passSeconds[index] += now - clock
                clock = now
            }
        }
        output?.update(from: destination, count: outputCount(end))
        return destination
    }
}
