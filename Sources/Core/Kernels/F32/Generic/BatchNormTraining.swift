// BatchNorm + ReLU6 over a rows x channels matrix (NHWC pixels of a batch,
// row stride = channels), per channel: 8 lanes, then a scalar tail. Sums run
// over the rows in order from zero, so a caller that cuts the rows into parts
// fixed by the data size gets the same bits on any number of threads.
import MobileNetKernelInterface

public enum BatchNormTraining {
    /// y = z * scale + shift, the pre-activation both passes compute alike
    /// (the backward mask must see the forward's exact y).
    @inline(__always)
    static func affine(_ z: Vec8, _ scale: Vec8, _ shift: Vec8) -> Vec8 {
        var y = shift
        y.fmadd(z, scale)
        return y
    }

    @inline(__always)
    static func affine1(_ z: Float, _ scale: Float, _ shift: Float) -> Float {
        var y = shift
        fmadd1(&y, z, scale)
        return y
    }

    /// sums[c] = sum over rows of x[r][c]; with `mean`, of (x[r][c] - mean[c])^2.
    public static func sums(_ x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafePointer<Float>?,
                            into sums: UnsafeMutablePointer<Float>) {
        sums.initialize(repeating: 0, count: channels)
        let vectorEnd = channels / 8 * 8
        for r in 0..<rows {
            let row = x + r * channels
            var c = 0
            if let mean {
                while c < vectorEnd {
                    let d = load8(row + c) - load8(mean + c)
                    var s = load8(sums + c)
                    s.fmadd(d, d)
                    store8(s, sums + c)
                    c += 8
                }
                while c < channels { let d = row[c] - mean[c]; fmadd1(&sums[c], d, d); c += 1 }
            } else {
                while c < vectorEnd { store8(load8(sums + c) + load8(row + c), sums + c); c += 8 }
                while c < channels { sums[c] += row[c]; c += 1 }
            }
        }
    }

    /// a = clamp(z * scale + shift, low, high) (ReLU6: 0, 6; none: -inf, +inf).
    public static func apply(_ z: UnsafePointer<Float>, rows: Int, channels: Int, scale: UnsafePointer<Float>,
                             shift: UnsafePointer<Float>, clamp: Clamp, output: UnsafeMutablePointer<Float>) {
        let vectorEnd = channels / 8 * 8
        let low = Vec8(repeating: clamp.lower), high = Vec8(repeating: clamp.upper)
        for r in 0..<rows {
            let src = z + r * channels, dst = output + r * channels
            var c = 0
            while c < vectorEnd {
                var y = affine(load8(src + c), load8(scale + c), load8(shift + c))
                y = y.replacing(with: low, where: y .< low)
                y = y.replacing(with: high, where: y .> high)
                store8(y, dst + c)
                c += 8
            }
            while c < channels {
                let y = affine1(src[c], scale[c], shift[c])
                dst[c] = min(max(y, clamp.lower), clamp.upper)
                c += 1
            }
        }
    }

    /// Masks `grad` in place to dy (ReLU6's gradient: kept where 0 < y < 6,
    /// TensorFlow's Relu6Grad) and sums per channel dy and dy * xhat, where
    /// xhat = (z - mean) * invStd.
    public static func backwardSums(_ z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int,
                                    channels: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
                                    clamp: Clamp, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                                    sumDy: UnsafeMutablePointer<Float>, sumDyXhat: UnsafeMutablePointer<Float>) {
        sumDy.initialize(repeating: 0, count: channels)
        sumDyXhat.initialize(repeating: 0, count: channels)
        let vectorEnd = channels / 8 * 8
        let low = Vec8(repeating: clamp.lower), high = Vec8(repeating: clamp.upper), zero = Vec8()
        for r in 0..<rows {
            let src = z + r * channels, g = grad + r * channels
            var c = 0
            while c < vectorEnd {
                let zv = load8(src + c)
                let y = affine(zv, load8(scale + c), load8(shift + c))
                var dy = load8(g + c)
                dy = dy.replacing(with: zero, where: y .<= low)
                dy = dy.replacing(with: zero, where: y .>= high)
                store8(dy, g + c)
                store8(load8(sumDy + c) + dy, sumDy + c)
                let xhat = (zv - load8(mean + c)) * load8(invStd + c)
                var s = load8(sumDyXhat + c)
                s.fmadd(dy, xhat)
                store8(s, sumDyXhat + c)
                c += 8
            }
            while c < channels {
                let y = affine1(src[c], scale[c], shift[c])
                let dy: Float = (y <= clamp.lower || y >= clamp.upper) ? 0 : g[c]
                g[c] = dy
                sumDy[c] += dy
                fmadd1(&sumDyXhat[c], dy, (src[c] - mean[c]) * invStd[c])
                c += 1
            }
        }
    }

    /// grad (dy) becomes dz in place: gammaInvStd * (dy - meanDy - xhat * meanDyXhat)
    /// in training mode (batch statistics), gammaInvStd * dy when frozen.
    public static func backwardInput(_ z: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>, rows: Int,
                                     channels: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>,
                                     gammaInvStd: UnsafePointer<Float>, meanDy: UnsafePointer<Float>,
                                     meanDyXhat: UnsafePointer<Float>, batchStatistics: Bool) {
        let vectorEnd = channels / 8 * 8
        for r in 0..<rows {
            let src = z + r * channels, g = grad + r * channels
            var c = 0
            while c < vectorEnd {
                var d = load8(g + c)
                if batchStatistics {
                    let xhat = (load8(src + c) - load8(mean + c)) * load8(invStd + c)
                    d = d - load8(meanDy + c) - xhat * load8(meanDyXhat + c)
                }
                store8(d * load8(gammaInvStd + c), g + c)
                c += 8
            }
            while c < channels {
                var d = g[c]
                if batchStatistics {
                    let xhat = (src[c] - mean[c]) * invStd[c]
                    d = d - meanDy[c] - xhat * meanDyXhat[c]
                }
                g[c] = d * gammaInvStd[c]
                c += 1
            }
        }
    }
}
