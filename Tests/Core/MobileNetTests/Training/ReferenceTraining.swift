#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import MobileNet

/// TF-Slim's MobileNet v1 training step written out in float64, scalar and
/// independent of the engine (its own SAME padding, convolutions, BatchNorm,
/// head and backward pass): relu6(BatchNorm(conv(x))) per layer, BatchNorm in
/// train mode (batch mean, biased batch variance over N*H*W) or frozen (the
/// moving statistics); global average pool; logits = 1x1 conv + bias; mean
/// softmax cross-entropy against targets y (1 - ls) + ls / K.
final class ReferenceNetwork {
    enum Kind { case full3x3, depthwise3x3, pointwise }

    struct Layer {
        let name: String
        let kind: Kind
        let stride: Int
        let inputChannels: Int, outputChannels: Int
        var weights: [Double], gamma: [Double], beta: [Double], movingMean: [Double], movingVariance: [Double]
        var tensorNames: (weights: String, gamma: String, beta: String, movingMean: String, movingVariance: String) {
            let prefix = "MobilenetV1/" + name
            return (prefix + (kind == .depthwise3x3 ? "/depthwise_weights" : "/weights"), prefix + "/BatchNorm/gamma",
                    prefix + "/BatchNorm/beta", prefix + "/BatchNorm/moving_mean", prefix + "/BatchNorm/moving_variance")
        }
    }

    var layers: [Layer]
    var logitsWeights: [Double], logitsBiases: [Double]
    let classes: Int
    let epsilon: Double

    /// The trainer's current float32 parameters, widened.
    init(_ trainer: Trainer, epsilon: Double = 0.001) {
        func d(_ t: Tensor) -> [Double] { (0..<t.count).map { Double(t.pointer[$0]) } }
        layers = trainer.blocks.map { b in
            let kind: Kind = b.spec.type == .depthwise3x3 ? .depthwise3x3 : b.spec.type == .pointwise1x1 ? .pointwise : .full3x3
            return Layer(name: b.spec.name, kind: kind, stride: b.spec.stride, inputChannels: b.spec.inputChannels,
                         outputChannels: b.spec.outputChannels, weights: d(b.weights.tensor), gamma: d(b.gamma.tensor),
                         beta: d(b.beta.tensor), movingMean: d(b.movingMean), movingVariance: d(b.movingVariance))
        }
        logitsWeights = d(trainer.head.weights.tensor)
        logitsBiases = d(trainer.head.biases.tensor)
        classes = trainer.head.classes
        self.epsilon = epsilon
    }

    /// TensorFlow's SAME rule for a 3x3 window: out = ceil(in / s),
    /// pad = max((out - 1) s + 3 - in, 0), the smaller half before.
    static func same(_ input: Int, _ stride: Int) -> (output: Int, before: Int) {
        let output = (input + stride - 1) / stride
        return (output, max((output - 1) * stride + 3 - input, 0) / 2)
    }

    struct LayerGradient { var weights: [Double], gamma: [Double], beta: [Double] }

    struct Result {
        var loss: Double
        var logits: [Double]
        /// Per layer: the statistics BatchNorm used (batch or moving) and N*H*W.
        var mean: [[Double]] = [], variance: [[Double]] = [], rows: [Int] = []
        var layers: [LayerGradient] = []
        var logitsWeights: [Double] = [], logitsBiases: [Double] = []
    }

    /// Activation of one layer: NHWC, n images of h x w x c.
    struct Map { var v: [Double]; let n: Int, h: Int, w: Int, c: Int }

    /// Visits every (output pixel, tap, input pixel) of a 3x3 SAME window.
    private func forEachTap(n: Int, h: Int, w: Int, stride: Int,
                            _ body: (_ out: Int, _ tap: Int, _ inp: Int) -> Void) -> (oh: Int, ow: Int) {
        let (oh, pt) = ReferenceNetwork.same(h, stride), (ow, pl) = ReferenceNetwork.same(w, stride)
        for b in 0..<n {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for ky in 0..<3 {
                        let iy = oy * stride + ky - pt
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<3 {
                            let ix = ox * stride + kx - pl
                            if ix < 0 || ix >= w { continue }
                            body((b * oh + oy) * ow + ox, ky * 3 + kx, (b * h + iy) * w + ix)
                        }
                    }
                }
            }
        }
        return (oh, ow)
    }

    private func conv(_ l: Layer, _ x: Map) -> Map {
        let ci = l.inputChannels, co = l.outputChannels
        switch l.kind {
        case .pointwise:
            var z = [Double](repeating: 0, count: x.n * x.h * x.w * co)
            for p in 0..<(x.n * x.h * x.w) {
                for i in 0..<ci {
                    let xv = x.v[p * ci + i]
                    if xv == 0 { continue }
                    for o in 0..<co { z[p * co + o] += xv * l.weights[i * co + o] }
                }
            }
            return Map(v: z, n: x.n, h: x.h, w: x.w, c: co)
        case .depthwise3x3:
            let (oh, ow) = (ReferenceNetwork.same(x.h, l.stride).output, ReferenceNetwork.same(x.w, l.stride).output)
            var z = [Double](repeating: 0, count: x.n * oh * ow * co)
            _ = forEachTap(n: x.n, h: x.h, w: x.w, stride: l.stride) { out, tap, inp in
                for c in 0..<co { z[out * co + c] += x.v[inp * ci + c] * l.weights[tap * ci + c] }
            }
            return Map(v: z, n: x.n, h: oh, w: ow, c: co)
        case .full3x3:
            let (oh, ow) = (ReferenceNetwork.same(x.h, l.stride).output, ReferenceNetwork.same(x.w, l.stride).output)
            var z = [Double](repeating: 0, count: x.n * oh * ow * co)
            _ = forEachTap(n: x.n, h: x.h, w: x.w, stride: l.stride) { out, tap, inp in
                for i in 0..<ci {
                    let xv = x.v[inp * ci + i]
                    for o in 0..<co { z[out * co + o] += xv * l.weights[(tap * ci + i) * co + o] }
                }
            }
            return Map(v: z, n: x.n, h: oh, w: ow, c: co)
        }
    }

    /// dW and (when wanted) dX of a convolution from dZ.
    private func convBackward(_ l: Layer, _ x: Map, _ dz: Map, wantInput: Bool) -> (dw: [Double], dx: [Double]?) {
        let ci = l.inputChannels, co = l.outputChannels
        var dw = [Double](repeating: 0, count: l.weights.count)
        var dx = [Double](repeating: 0, count: wantInput ? x.v.count : 0)
        switch l.kind {
        case .pointwise:
            for p in 0..<(x.n * x.h * x.w) {
                for i in 0..<ci {
                    var s = 0.0
                    let xv = x.v[p * ci + i]
                    for o in 0..<co {
                        let g = dz.v[p * co + o]
                        dw[i * co + o] += xv * g
                        s += l.weights[i * co + o] * g
                    }
                    if wantInput { dx[p * ci + i] = s }
                }
            }
        case .depthwise3x3:
            _ = forEachTap(n: x.n, h: x.h, w: x.w, stride: l.stride) { out, tap, inp in
                for c in 0..<co {
                    let g = dz.v[out * co + c]
                    dw[tap * ci + c] += x.v[inp * ci + c] * g
                    if wantInput { dx[inp * ci + c] += l.weights[tap * ci + c] * g }
                }
            }
        case .full3x3:
            _ = forEachTap(n: x.n, h: x.h, w: x.w, stride: l.stride) { out, tap, inp in
                for i in 0..<ci {
                    let xv = x.v[inp * ci + i]
                    var s = 0.0
                    for o in 0..<co {
                        let g = dz.v[out * co + o]
                        dw[(tap * ci + i) * co + o] += xv * g
                        s += l.weights[(tap * ci + i) * co + o] * g
                    }
                    if wantInput { dx[inp * ci + i] += s }
                }
            }
        }
        return (dw, wantInput ? dx : nil)
    }

    /// The loss of one batch (input NHWC, 3 channels) and, with `gradients`,
    /// every parameter's gradient. `firstTrainable` layers before it get no
    /// gradients (and the backward pass stops there).
    func run(input: [Double], labels: [Int], batch: Int, height: Int, width: Int, batchStatistics: Bool,
             labelSmoothing: Double, gradients: Bool, firstTrainable: Int = 0) -> Result {
        var x = Map(v: input, n: batch, h: height, w: width, c: 3)
        var inputs: [Map] = [], zs: [Map] = [], xhats: [[Double]] = [], ys: [[Double]] = [], invStds: [[Double]] = []
        var result = Result(loss: 0, logits: [])
        for l in layers {
            let z = conv(l, x)
            let c = z.c, rows = z.n * z.h * z.w
            var mean = l.movingMean, variance = l.movingVariance
            if batchStatistics {
                mean = [Double](repeating: 0, count: c); variance = mean
                for r in 0..<rows { for k in 0..<c { mean[k] += z.v[r * c + k] } }
                for k in 0..<c { mean[k] /= Double(rows) }
                for r in 0..<rows { for k in 0..<c { let d = z.v[r * c + k] - mean[k]; variance[k] += d * d } }
                for k in 0..<c { variance[k] /= Double(rows) }
            }
            let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
            var xhat = z.v, y = z.v, a = z
            for r in 0..<rows {
                for k in 0..<c {
                    let i = r * c + k
                    xhat[i] = (z.v[i] - mean[k]) * invStd[k]
                    y[i] = l.gamma[k] * xhat[i] + l.beta[k]
                    a.v[i] = min(max(y[i], 0), 6)
                }
            }
            result.mean.append(mean); result.variance.append(variance); result.rows.append(rows)
            inputs.append(x); zs.append(z); xhats.append(xhat); ys.append(y); invStds.append(invStd)
            x = a
        }
        // Head.
        let c = x.c, k = classes, pixels = x.h * x.w
        var pooled = [Double](repeating: 0, count: batch * c)
        for b in 0..<batch {
            for p in 0..<pixels { for i in 0..<c { pooled[b * c + i] += x.v[(b * pixels + p) * c + i] } }
            for i in 0..<c { pooled[b * c + i] /= Double(pixels) }
        }
        var logits = [Double](repeating: 0, count: batch * k)
        for b in 0..<batch {
            for j in 0..<k {
                var s = logitsBiases[j]
                for i in 0..<c { s += pooled[b * c + i] * logitsWeights[i * k + j] }
                logits[b * k + j] = s
            }
        }
        var dLogits = logits
        var loss = 0.0
        for b in 0..<batch {
            let row = Array(logits[(b * k)..<(b * k + k)])
            let top = row.max()!
            let logSum = log(row.reduce(0) { $0 + exp($1 - top) }) + top
            for j in 0..<k {
                let target = (j == labels[b] ? 1 - labelSmoothing : 0) + labelSmoothing / Double(k)
                loss -= target * (row[j] - logSum)
                dLogits[b * k + j] = (exp(row[j] - logSum) - target) / Double(batch)
            }
        }
        result.loss = loss / Double(batch)
        result.logits = logits
        guard gradients else { return result }

        var dw = [Double](repeating: 0, count: c * k), db = [Double](repeating: 0, count: k)
        var dPooled = [Double](repeating: 0, count: batch * c)
        for b in 0..<batch {
            for j in 0..<k {
                let g = dLogits[b * k + j]
                db[j] += g
                for i in 0..<c {
                    dw[i * k + j] += pooled[b * c + i] * g
                    dPooled[b * c + i] += logitsWeights[i * k + j] * g
                }
            }
        }
        result.logitsWeights = dw; result.logitsBiases = db
        var da = Map(v: [Double](repeating: 0, count: x.v.count), n: batch, h: x.h, w: x.w, c: c)
        for b in 0..<batch {
            for p in 0..<pixels { for i in 0..<c { da.v[(b * pixels + p) * c + i] = dPooled[b * c + i] / Double(pixels) } }
        }
        result.layers = layers.map { LayerGradient(weights: [Double](repeating: 0, count: $0.weights.count),
                                                    gamma: [Double](repeating: 0, count: $0.outputChannels),
                                                    beta: [Double](repeating: 0, count: $0.outputChannels)) }
        var li = layers.count - 1
        while li >= firstTrainable {
            let l = layers[li], z = zs[li], c = z.c, rows = z.n * z.h * z.w
            let xhat = xhats[li], y = ys[li], invStd = invStds[li]
            var dy = da.v
            for i in 0..<dy.count where !(y[i] > 0 && y[i] < 6) { dy[i] = 0 }
            var dGamma = [Double](repeating: 0, count: c), dBeta = dGamma
            for r in 0..<rows {
                for ch in 0..<c { dBeta[ch] += dy[r * c + ch]; dGamma[ch] += dy[r * c + ch] * xhat[r * c + ch] }
            }
            // dxhat = gamma dy; train: dz = invStd (dxhat - mean dxhat - xhat mean(dxhat xhat)).
            var dz = z
            for r in 0..<rows {
                for ch in 0..<c {
                    let i = r * c + ch
                    var g = l.gamma[ch] * dy[i]
                    if batchStatistics {
                        g -= l.gamma[ch] * (dBeta[ch] + xhat[i] * dGamma[ch]) / Double(rows)
                    }
                    dz.v[i] = g * invStd[ch]
                }
            }
            let (dW, dx) = convBackward(l, inputs[li], dz, wantInput: li > firstTrainable)
            result.layers[li] = LayerGradient(weights: dW, gamma: dGamma, beta: dBeta)
            if let dx { da = Map(v: dx, n: inputs[li].n, h: inputs[li].h, w: inputs[li].w, c: inputs[li].c) }
            li -= 1
        }
        return result
    }
}

/// ||a - b|| / ||b|| (and ||b||); 0 when both are zero.
func relativeL2(_ a: [Float], _ b: [Double]) -> (error: Double, norm: Double) {
    precondition(a.count == b.count)
    var diff = 0.0, norm = 0.0
    for i in a.indices {
        let d = Double(a[i]) - b[i]
        diff += d * d; norm += b[i] * b[i]
    }
    if norm == 0 { return (diff == 0 ? 0 : .infinity, 0) }
    return ((diff / norm).squareRoot(), norm.squareRoot())
}

struct TestRandom {
    var state: UInt64
    /// Uniform in [-1, 1).
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 40) / Double(1 << 24) * 2 - 1
    }
    mutating func floats(_ count: Int, scale: Double = 1, offset: Double = 0) -> [Float] {
        (0..<count).map { _ in Float(next() * scale + offset) }
    }
}
