#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The activations one training step keeps for its backward pass at one
/// (batch, height, width), planned once and reused by every later step of
/// that size: each block's pre-BatchNorm z and output a (dense NHWC), the
/// head's pooled features and logits, and two gradient buffers that the
/// backward pass alternates between (dA of a block in one, dX into the other).
final class TrainingWorkspace {
    let batch: Int, height: Int, width: Int
    let geometries: [LayerGeometry]
    let z: [AlignedBuffer], a: [AlignedBuffer]
    let pooled: AlignedBuffer, logits: AlignedBuffer, dLogits: AlignedBuffer, dPooled: AlignedBuffer
    let gradient: (AlignedBuffer, AlignedBuffer)

    init(blocks: [ConvBlock], head: ClassifierHead, batch: Int, height: Int, width: Int, ctx: TrainingContext) throws {
        self.batch = batch; self.height = height; self.width = width
        var geometries: [LayerGeometry] = []
        var h = height, w = width
        var largest = 0, total = 0
        var needs = head.needs(ctx, batch: batch)
        func floats(_ parts: Int...) throws -> Int {
            var product = 1
            for p in parts {
                let (v, overflow) = product.multipliedReportingOverflow(by: p)
                guard !overflow else { throw MobileNetError(.outOfMemory, "training activations at batch \(batch), \(height) x \(width) overflow") }
                product = v
            }
            return product
        }
        for (i, block) in blocks.enumerated() {
            let g = block.spec.geometry(inputHeight: h, inputWidth: w)
            geometries.append(g)
            let size = try floats(batch, g.outputHeight, g.outputWidth, block.channels)
            largest = max(largest, size)
            total = total &+ 2 * size
            needs.merge(block.needs(ctx, batch: batch, g, inputGradient: i > 0))
            h = g.outputHeight; w = g.outputWidth
        }
        // Refuse what the machine cannot hold rather than be killed touching it.
        let bytes = Double(total) * 4 + Double(largest) * 8 + Double(needs.partial + needs.shared) * 4
            + Double(needs.perSlot) * 4 * Double(ctx.pool.threadCount)
        let physical = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        if physical > 0, bytes > physical {
            throw MobileNetError(.outOfMemory, "a training step at batch \(batch), \(height) x \(width) needs about "
                                 + "\(Int(bytes / 1_048_576)) MiB, more than this machine's \(Int(physical / 1_048_576)) MiB")
        }
        self.geometries = geometries
        z = try geometries.enumerated().map { i, g in
            try AlignedBuffer(count: batch * g.outputHeight * g.outputWidth * blocks[i].channels, zeroed: false)
        }
        a = try geometries.enumerated().map { i, g in
            try AlignedBuffer(count: batch * g.outputHeight * g.outputWidth * blocks[i].channels, zeroed: false)
        }
        pooled = try AlignedBuffer(count: batch * head.channels)
        dPooled = try AlignedBuffer(count: batch * head.channels)
        logits = try AlignedBuffer(count: batch * head.classes)
        dLogits = try AlignedBuffer(count: batch * head.classes)
        gradient = (try AlignedBuffer(count: largest, zeroed: false), try AlignedBuffer(count: largest, zeroed: false))
        try ctx.reserve(needs)
    }

    var lastPixels: Int { geometries.last.map { $0.outputHeight * $0.outputWidth } ?? height * width }
}
