#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TF-Slim's head: global average pool (AvgPool_1a over the whole map), the
/// Logits 1x1 convolution with bias, and the mean softmax cross-entropy with
/// label smoothing (targets y (1 - ls) + ls / K).
final class ClassifierHead {
    let spec: LayerSpec
    let weights: Variable
    let biases: Variable

    var channels: Int { spec.inputChannels }
    var classes: Int { spec.outputChannels }

    init(spec: LayerSpec, tensors: (String) throws -> Tensor) throws {
        self.spec = spec
        weights = Variable(try tensors(LogitsLayer.weightsName), regularized: true)
        biases = Variable(try tensors(LogitsLayer.biasesName), regularized: false)
    }

    var variables: [Variable] { [weights, biases] }

    func needs(_ ctx: TrainingContext, batch: Int) -> ScratchNeeds {
        var n = ctx.gemmWeightGradientNeeds(rows: batch, k: channels, n: classes)
        n.merge(ctx.gemmRowsNeeds(k: channels, n: classes))
        n.merge(ctx.gemmRowsNeeds(k: classes, n: channels))
        return n
    }

    /// pooled[n][c] = mean over the `pixels` pixels (summed in pixel order), then logits.
    func forward(_ ctx: TrainingContext, batch: Int, pixels: Int, a: UnsafePointer<Float>,
                 pooled: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>) {
        ctx.pool.parallel(PoolImages(channels: channels, pixels: pixels, a: UnsafeMutablePointer(mutating: a),
                                     pooled: pooled, backward: false, parts: batch))
        self.logits(ctx, batch: batch, pooled: pooled, logits: logits)
    }

    /// logits = pooled W + b.
    func logits(_ ctx: TrainingContext, batch: Int, pooled: UnsafePointer<Float>, logits: UnsafeMutablePointer<Float>) {
        let c = channels, k = classes
        ctx.gemmRows(rows: batch, k: c, n: k, a: pooled, lda: c, b: weights.tensor.pointer, rowStride: k,
                     columnStride: 1, c: logits, ldc: k)
        let b = biases.tensor.pointer
        for n in 0..<batch { for j in 0..<k { logits[n * k + j] += b[j] } }
    }

    /// The batch's mean cross-entropy, and (given `gradient`) d loss / d logits.
    func loss(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, labelSmoothing: Float,
              gradient: UnsafeMutablePointer<Float>?) -> Double {
        let k = classes
        let off = Double(labelSmoothing) / Double(k), on = 1 - Double(labelSmoothing) + off
        var total = 0.0
        for n in 0..<batch {
            let row = logits + n * k
            var top = -Double.infinity
            for j in 0..<k { top = max(top, Double(row[j])) }
            var sum = 0.0
            for j in 0..<k { sum += exp(Double(row[j]) - top) }
            let logSum = log(sum) + top
            let label = Int(labels[n])
            for j in 0..<k {
                let target = j == label ? on : off
                total -= target * (Double(row[j]) - logSum)
                if let gradient {
                    gradient[n * k + j] = Float((exp(Double(row[j]) - logSum) - target) / Double(batch))
                }
            }
        }
        return total / Double(batch)
    }

    /// Top-1 hits (ties go to the lower class index).
    func correct(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int) -> Int {
        var hits = 0
        for n in 0..<batch {
            let row = logits + n * classes
            var best = 0
            for j in 1..<max(classes, 1) where row[j] > row[best] { best = j }
            if best == Int(labels[n]) { hits += 1 }
        }
        return hits
    }

    /// Gradients of the logits variables, and dA of the last block (dPooled / pixels at every pixel).
    func backward(_ ctx: TrainingContext, batch: Int, pixels: Int, pooled: UnsafePointer<Float>,
                  dLogits: UnsafePointer<Float>, dPooled: UnsafeMutablePointer<Float>,
                  da: UnsafeMutablePointer<Float>?) {
        let c = channels, k = classes
        if let gradient = weights.gradient {
            ctx.gemmWeightGradient(rows: batch, k: c, n: k, x: .rows(pooled), dz: dLogits, grad: gradient.pointer)
        }
        if let gradient = biases.gradient {
            let g = gradient.pointer
            g.initialize(repeating: 0, count: k)
            for n in 0..<batch { for j in 0..<k { g[j] += dLogits[n * k + j] } }
        }
        guard let da else { return }
        ctx.gemmRows(rows: batch, k: k, n: c, a: dLogits, lda: k, b: weights.tensor.pointer, rowStride: 1,
                     columnStride: k, c: dPooled, ldc: c)
        ctx.pool.parallel(PoolImages(channels: c, pixels: pixels, a: da, pooled: dPooled, backward: true, parts: batch))
    }
}

/// One image of the average pool: pooled = mean over pixels (in pixel
/// order), or backward: every pixel of dA = dPooled / pixels.
private struct PoolImages: PartRunner {
    let channels: Int, pixels: Int, a: UnsafeMutablePointer<Float>, pooled: UnsafeMutablePointer<Float>
    let backward: Bool, parts: Int

    func run(part n: Int, slot: Int) {
        let c = channels, out = pooled + n * c, image = a + n * pixels * c
        if backward {
            for p in 0..<pixels {
                let row = image + p * c
                for i in 0..<c { row[i] = out[i] / Float(pixels) }
            }
            return
        }
        out.initialize(repeating: 0, count: c)
        for p in 0..<pixels {
            let row = image + p * c
            for i in 0..<c { out[i] += row[i] }
        }
        for i in 0..<c { out[i] /= Float(pixels) }
    }
}
