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
    /// output rows `rows` of z = depthwise(x, w).
    public static func forward(input: UnsafePointer<Float>, inputHeight: Int, inputWidth: Int, channels: Int,
                               weights: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                               outputWidth: Int, stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>) {
        let vectorEnd = channels / 8 * 8
        for oy in rows {
            for ox in 0..<outputWidth {
                let out = output + (oy * outputWidth + ox) * channels
                var c = 0
                while c < vectorEnd {
                    var acc = Vec8()
                    for ky in 0..<3 {
                        let iy = oy * stride + ky - padTop
                        if iy < 0 || iy >= inputHeight { continue }
                        for kx in 0..<3 {
                            let ix = ox * stride + kx - padLeft
                            if ix < 0 || ix >= inputWidth { continue }
                            acc.fmadd(load8(input + (iy * inputWidth + ix) * channels + c),
                                      load8(weights + (ky * 3 + kx) * channels + c))
                        }
                    }
                    store8(acc, out + c)
                    c += 8
                }
                while c < channels {
                    var acc: Float = 0
                    for ky in 0..<3 {
                        let iy = oy * stride + ky - padTop
                        if iy < 0 || iy >= inputHeight { continue }
                        for kx in 0..<3 {
                            let ix = ox * stride + kx - padLeft
                            if ix < 0 || ix >= inputWidth { continue }
                            fmadd1(&acc, input[(iy * inputWidth + ix) * channels + c], weights[(ky * 3 + kx) * channels + c])
                        }
                    }
                    out[c] = acc
                    c += 1
                }
            }
        }
    }

    /// Input rows `rows` of dx = sum over the taps that read each input pixel of w * dz.
    public static func backwardInput(gradOutput: UnsafePointer<Float>, outputHeight: Int, outputWidth: Int,
                                     channels: Int, weights: UnsafePointer<Float>,
                                     gradInput: UnsafeMutablePointer<Float>, inputWidth: Int, stride: Int,
                                     padTop: Int, padLeft: Int, rows: Range<Int>) {
        let vectorEnd = channels / 8 * 8
        for iy in rows {
            for ix in 0..<inputWidth {
                let dst = gradInput + (iy * inputWidth + ix) * channels
                var c = 0
                while c < vectorEnd {
                    var acc = Vec8()
                    for ky in 0..<3 {
                        let ty = iy + padTop - ky
                        if ty < 0 || ty % stride != 0 || ty / stride >= outputHeight { continue }
                        for kx in 0..<3 {
                            let tx = ix + padLeft - kx
                            if tx < 0 || tx % stride != 0 || tx / stride >= outputWidth { continue }
                            acc.fmadd(load8(gradOutput + ((ty / stride) * outputWidth + tx / stride) * channels + c),
                                      load8(weights + (ky * 3 + kx) * channels + c))
                        }
                    }
                    store8(acc, dst + c)
                    c += 8
                }
                while c < channels {
                    var acc: Float = 0
                    for ky in 0..<3 {
                        let ty = iy + padTop - ky
                        if ty < 0 || ty % stride != 0 || ty / stride >= outputHeight { continue }
                        for kx in 0..<3 {
                            let tx = ix + padLeft - kx
                            if tx < 0 || tx % stride != 0 || tx / stride >= outputWidth { continue }
                            fmadd1(&acc, gradOutput[((ty / stride) * outputWidth + tx / stride) * channels + c],
                                   weights[(ky * 3 + kx) * channels + c])
                        }
                    }
                    dst[c] = acc
                    c += 1
                }
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
