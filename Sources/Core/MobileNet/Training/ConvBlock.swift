#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MobileNetKernelInterface

/// One layer of TF-Slim's MobileNet: relu6(batchnorm(conv(x))), with its
/// variables (weights, gamma, beta), moving statistics, and the statistics
/// of the current step that the backward pass and the moving averages use.
final class ConvBlock {
    let spec: LayerSpec
    let convolution: any TrainableConvolution
    let weights: Variable
    let gamma: Variable
    let beta: Variable
    let movingMean: Tensor
    let movingVariance: Tensor
    let epsilon: Float
    /// This step's normalisation: mean, 1/sqrt(var + eps), and the affine
    /// y = z * scale + shift it amounts to; the batch variance (biased).
    let mean: AlignedBuffer, invStd: AlignedBuffer, scale: AlignedBuffer, shift: AlignedBuffer
    let batchVariance: AlignedBuffer
    /// Backward scratch: [sum dy | sum dy xhat], then their means, gamma * invStd.
    let sums: AlignedBuffer, means: AlignedBuffer, gammaInvStd: AlignedBuffer

    var channels: Int { spec.outputChannels }

    init(spec: LayerSpec, tensors: (String) throws -> Tensor, epsilon: Float) throws {
        self.spec = spec
        switch spec.type {
        case .pointwise1x1: convolution = PointwiseTraining(spec: spec)
        case .depthwise3x3: convolution = DepthwiseTraining3x3(spec: spec)
        default: convolution = FullConvTraining3x3(spec: spec)
        }
        let weightName = spec.type.kind.tensors(spec)[0].name
        weights = Variable(try tensors(weightName), regularized: spec.type != .depthwise3x3)
        let bn = BatchNormFolding.parts(spec)
        gamma = Variable(try tensors(bn[0]), regularized: false)
        beta = Variable(try tensors(bn[1]), regularized: false)
        movingMean = try tensors(bn[2])
        movingVariance = try tensors(bn[3])
        self.epsilon = epsilon
        let c = spec.outputChannels
        mean = try AlignedBuffer(count: c); invStd = try AlignedBuffer(count: c)
        scale = try AlignedBuffer(count: c); shift = try AlignedBuffer(count: c)
        batchVariance = try AlignedBuffer(count: c)
        sums = try AlignedBuffer(count: 2 * c); means = try AlignedBuffer(count: 2 * c)
        gammaInvStd = try AlignedBuffer(count: c)
    }

    var variables: [Variable] { [weights, gamma, beta] }

    func needs(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, inputGradient: Bool) -> ScratchNeeds {
        var n = convolution.needs(ctx, batch: batch, g, inputGradient: inputGradient)
        let chunks = ReductionChunks(rows: batch * g.outputHeight * g.outputWidth)
        n.partial = max(n.partial, chunks.count * 2 * channels)
        return n
    }

    /// Sums per channel over the rows in fixed chunks (see ReductionChunks).
    private func channelSums(_ ctx: TrainingContext, _ z: UnsafePointer<Float>, rows: Int,
                             mean: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>) {
        let chunks = ReductionChunks(rows: rows)
        ctx.pool.parallel(ChannelSumChunks(kernels: ctx.kernels, chunks: chunks, channels: channels, z: z, mean: mean,
                                           partial: ctx.partial.pointer))
        reducePartials(ctx.partial.pointer, chunks: chunks.count, stride: channels, count: channels, into: out,
                       pool: ctx.pool)
    }

    /// z = conv(x) and a = relu6(batchnorm(z)), with batch statistics or the moving ones.
    func forward(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                 z: UnsafeMutablePointer<Float>, a: UnsafeMutablePointer<Float>, batchStatistics: Bool) {
        convolution.forward(ctx, batch: batch, g, x: x, weights: weights.tensor.pointer, z: z)
        let rows = batch * g.outputHeight * g.outputWidth, c = channels
        if batchStatistics {
            channelSums(ctx, z, rows: rows, mean: nil, into: mean.pointer)
            for i in 0..<c { mean.pointer[i] /= Float(rows) }
            channelSums(ctx, z, rows: rows, mean: mean.pointer, into: batchVariance.pointer)
            for i in 0..<c { batchVariance.pointer[i] /= Float(rows) }
        } else {
            mean.pointer.update(from: movingMean.pointer, count: c)
            batchVariance.pointer.update(from: movingVariance.pointer, count: c)
        }
        for i in 0..<c {
            invStd.pointer[i] = 1 / (batchVariance.pointer[i] + epsilon).squareRoot()
            scale.pointer[i] = gamma.tensor.pointer[i] * invStd.pointer[i]
            shift.pointer[i] = beta.tensor.pointer[i] - mean.pointer[i] * scale.pointer[i]
        }
        ctx.pool.forEachRange(rows, granule: 8, BatchNormRows(block: self, kernels: ctx.kernels, z: z, output: a,
                                                              backward: false, batchStatistics: batchStatistics))
    }

    /// From dA (in `grad`, overwritten with dZ): gamma, beta and weight
    /// gradients when trainable, and dX into `dx` when given.
    func backward(_ ctx: TrainingContext, batch: Int, _ g: LayerGeometry, x: UnsafePointer<Float>,
                  z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                  batchStatistics: Bool) {
        let rows = batch * g.outputHeight * g.outputWidth, c = channels
        let chunks = ReductionChunks(rows: rows), partial = ctx.partial.pointer
        ctx.pool.parallel(BackwardSumChunks(block: self, kernels: ctx.kernels, chunks: chunks, z: z, grad: grad,
                                            partial: partial))
        reducePartials(partial, chunks: chunks.count, stride: 2 * c, count: 2 * c, into: sums.pointer, pool: ctx.pool)
        if let gradient = beta.gradient { gradient.pointer.update(from: sums.pointer, count: c) }
        if let gradient = gamma.gradient { gradient.pointer.update(from: sums.pointer + c, count: c) }
        for i in 0..<2 * c { means.pointer[i] = sums.pointer[i] / Float(rows) }
        for i in 0..<c { gammaInvStd.pointer[i] = gamma.tensor.pointer[i] * invStd.pointer[i] }
        ctx.pool.forEachRange(rows, granule: 8, BatchNormRows(block: self, kernels: ctx.kernels, z: z, output: grad,
                                                              backward: true, batchStatistics: batchStatistics))
        if let gradient = weights.gradient {
            convolution.weightGradient(ctx, batch: batch, g, x: x, dz: grad, grad: gradient.pointer)
        }
        if let dx {
            convolution.inputGradient(ctx, batch: batch, g, dz: grad, weights: weights.tensor.pointer, dx: dx)
        }
    }

    /// moving -= (1 - decay) (moving - batch), the variance Bessel-corrected
    /// (n / (n - 1), as TensorFlow's fused batch norm feeds it).
    func updateMovingStatistics(decay: Float, rows: Int) {
        let rate = 1 - decay
        let correction = Float(rows) / Float(max(rows - 1, 1))
        for i in 0..<channels {
            movingMean.pointer[i] -= (movingMean.pointer[i] - mean.pointer[i]) * rate
            movingVariance.pointer[i] -= (movingVariance.pointer[i] - batchVariance.pointer[i] * correction) * rate
        }
    }
}

/// Per-channel sums (or squared deviations from `mean`) of one chunk of rows.
private struct ChannelSumChunks: PartRunner {
    let kernels: any F32TrainingKernels, chunks: ReductionChunks, channels: Int
    let z: UnsafePointer<Float>, mean: UnsafePointer<Float>?, partial: UnsafeMutablePointer<Float>
    var parts: Int { chunks.count }

    func run(part chunk: Int, slot: Int) {
        let r = chunks.range(chunk)
        kernels.channelSums(z + r.lowerBound * channels, rows: r.count, channels: channels, mean: mean,
                            into: partial + chunk * channels)
    }
}

/// ReLU6's mask and BatchNorm's two backward sums over one chunk of rows.
private struct BackwardSumChunks: PartRunner {
    let block: ConvBlock, kernels: any F32TrainingKernels, chunks: ReductionChunks
    let z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, partial: UnsafeMutablePointer<Float>
    var parts: Int { chunks.count }

    func run(part chunk: Int, slot: Int) {
        let r = chunks.range(chunk), c = block.channels
        let p = partial + chunk * 2 * c
        kernels.batchNormBackwardSums(z + r.lowerBound * c, grad: grad + r.lowerBound * c, rows: r.count, channels: c,
                                      scale: block.scale.pointer, shift: block.shift.pointer, clamp: .relu6,
                                      mean: block.mean.pointer, invStd: block.invStd.pointer, sumDy: p,
                                      sumDyXhat: p + c)
    }
}

/// Rows of BatchNorm + ReLU6 (forward: z to a) or of its input gradient (dy to dz in place).
private struct BatchNormRows: RangeWork {
    let block: ConvBlock, kernels: any F32TrainingKernels
    let z: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, backward: Bool, batchStatistics: Bool

    func run(_ r: Range<Int>, slot: Int) {
        let c = block.channels
        if backward {
            kernels.batchNormBackwardInput(z + r.lowerBound * c, grad: output + r.lowerBound * c, rows: r.count,
                                           channels: c, mean: block.mean.pointer, invStd: block.invStd.pointer,
                                           gammaInvStd: block.gammaInvStd.pointer, meanDy: block.means.pointer,
                                           meanDyXhat: block.means.pointer + c, batchStatistics: batchStatistics)
        } else {
            kernels.batchNormApply(z + r.lowerBound * c, rows: r.count, channels: c, scale: block.scale.pointer,
                                   shift: block.shift.pointer, clamp: .relu6, output: output + r.lowerBound * c)
        }
    }
}
