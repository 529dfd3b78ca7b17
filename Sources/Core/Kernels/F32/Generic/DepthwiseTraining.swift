// The depthwise 3x3 convolution's training passes on one NHWC image with a
// dense channel count (any, not only multiples of 8: 8 lanes, then a scalar
// tail), 'SAME' padding given as padTop / padLeft, weights 9 x channels
// (TensorFlow's [3, 3, C, 1]). Every output is a sum over the taps in
// (ky, kx) order, or over pixels in row order, so any split by rows gives
// the same bits.
import MobileNetKernelInterface

@inline(__always) @usableFromInline
func fmadd1(_ acc: inout Float, _ a: Float, _ b: Float) {
    #if MOBILENET_FMA
    acc.addProduct(a, b)
    #else
    acc = acc + a * b
    #endif
}

public enum DepthwiseTraining {
    /// The taps of a 3x3 window along one axis that land inside 0..<size:
    /// (tap, position) pairs in tap order. Found once per row or column, so
    /// the channel loops carry no bounds or stride tests (depthwise dX
    /// 106 -> 35 ms a step at batch 16, 1.0/224).
    @inline(__always)
    static func forwardTaps(_ o: Int, stride: Int, pad: Int, size: Int) -> (count: Int, taps: SIMD4<Int>, at: SIMD4<Int>) {
        var count = 0, taps = SIMD4<Int>(), at = SIMD4<Int>()
        for k in 0..<3 {
            let i = o * stride + k - pad
            if i >= 0 && i < size { taps[count] = k; at[count] = i; count += 1 }
        }
        return (count, taps, at)
    }

    /// The taps whose window position reads input index i: output o with
    /// o * stride + tap - pad = i, in tap order.
    @inline(__always)
    static func backwardTaps(_ i: Int, stride: Int, pad: Int, outputSize: Int) -> (count: Int, taps: SIMD4<Int>, at: SIMD4<Int>) {
        var count = 0, taps = SIMD4<Int>(), at = SIMD4<Int>()
        for k in 0..<3 {
            let t = i + pad - k
            if t >= 0 && t % stride == 0 && t / stride < outputSize { taps[count] = k; at[count] = t / stride; count += 1 }
        }
        return (count, taps, at)
    }

    /// Sum over the valid (ky, kx) pairs, ky then kx, of src pixel * weight tap.
    @inline(__always)
    static func gather(_ src: UnsafePointer<Float>, srcWidth: Int, channels: Int, weights: UnsafePointer<Float>,
                       rows: (count: Int, taps: SIMD4<Int>, at: SIMD4<Int>),
                       columns: (count: Int, taps: SIMD4<Int>, at: SIMD4<Int>), into dst: UnsafeMutablePointer<Float>) {
        let vectorEnd = channels / 8 * 8
        var c = 0
        while c < vectorEnd {
            var acc = Vec8()
            for a in 0..<rows.count {
                let srcRow = src + rows.at[a] * srcWidth * channels + c
                let wRow = weights + rows.taps[a] * 3 * channels + c
                for b in 0..<columns.count {
                    acc.fmadd(load8(srcRow + columns.at[b] * channels), load8(wRow + columns.taps[b] * channels))
                }
            }
            store8(acc, dst + c)
            c += 8
        }
        while c < channels {
            var acc: Float = 0
            for a in 0..<rows.count {
                for b in 0..<columns.count {
                    fmadd1(&acc, src[(rows.at[a] * srcWidth + columns.at[b]) * channels + c],
                           weights[(rows.taps[a] * 3 + columns.taps[b]) * channels + c])
                }
            }
            dst[c] = acc
            c += 1
        }
    }

    /// output rows `rows` of z = depthwise(x, w).
    public static func forward(input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int, channels: Int,
                               weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                               outputWidth: Int, stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>) {
        for oy in rows {
            let ys = forwardTaps(oy, stride: stride, pad: padTop, size: inputHeight)
            for ox in 0..<outputWidth {
                let xs = forwardTaps(ox, stride: stride, pad: padLeft, size: inputWidth)
                gather(input, srcWidth: inputWidth, channels: channels, weights: weights, rows: ys, columns: xs,
                       into: output + (oy * outputWidth + ox) * channels)
            }
        }
    }

    /// Input rows `rows` of dx = sum over the taps that read each input pixel of w * dz.
    public static func backwardInput(gradOutput: UnsafePointer<Float>, outputHeight: Int, outputWidth: Int,
                                     channels: Int, weights: UnsafePointer<Float>,
                                     gradInput: UnsafeMutablePointer<Float>, inputWidth: Int, stride: Int,
                                     padTop: Int, padLeft: Int, rows: Range<Int>) {
        for iy in rows {
            let ys = backwardTaps(iy, stride: stride, pad: padTop, outputSize: outputHeight)
            for ix in 0..<inputWidth {
                let xs = backwardTaps(ix, stride: stride, pad: padLeft, outputSize: outputWidth)
                gather(gradOutput, srcWidth: outputWidth, channels: channels, weights: weights, rows: ys, columns: xs,
                       into: gradInput + (iy * inputWidth + ix) * channels)
            }
        }
    }

    /// partial[tap][c] += sum over output rows `rows`, pixel by pixel, of x * dz.
    public static func backwardWeights(input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int,
                                       channels: Int, gradOutput: UnsafePointer<Float>, outputWidth: Int,
                                       stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>,
                                       partial: UnsafeMutablePointer<Float>) {
        let vectorEnd = channels / 8 * 8
        for oy in rows {
            for ox in 0..<outputWidth {
                let g = gradOutput + (oy * outputWidth + ox) * channels
                for ky in 0..<3 {
                    let iy = oy * stride + ky - padTop
                    if iy < 0 || iy >= inputHeight { continue }
                    for kx in 0..<3 {
                        let ix = ox * stride + kx - padLeft
                        if ix < 0 || ix >= inputWidth { continue }
                        let x = input + (iy * inputWidth + ix) * channels
                        let p = partial + (ky * 3 + kx) * channels
                        var c = 0
                        while c < vectorEnd {
                            var acc = load8(p + c)
                            acc.fmadd(load8(x + c), load8(g + c))
                            store8(acc, p + c)
                            c += 8
                        }
                        while c < channels { fmadd1(&p[c], x[c], g[c]); c += 1 }
                    }
                }
            }
        }
    }
}
