// A full 3x3 convolution + bias + ReLU6 for inputs with few channels (the
// first layer's RGB): each output pixel's 9 x C inputs are gathered into a
// small buffer and broadcast against dense weights ((tap * C + c) x
// outputChannels). Two pixels per pass give eight independent FMA chains, so
// the 27-long sums are not bound by FMA latency. im2col + GEMM would spend
// more on copying 27-float rows than on arithmetic. Accumulation order is the
// GEMM's: tap-major, then channel.

public enum DirectConv3x3 {
    public static let maxInputChannels = 4

    public static func run(inputChannels cin: Int, outputChannels: Int,
                           input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                           weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout,
                           stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>) {
        let k = 9 * cin
        let outW = outputLayout.width, outPS = outputLayout.pixelStride
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * 9 * maxInputChannels) { gathered in
            let g0 = gathered.baseAddress!, g1 = g0 + 9 * maxInputChannels
            for oy in rows {
                var ox = 0
                while ox < outW {
                    let pair = ox + 1 < outW
                    gather(oy: oy, ox: ox, cin: cin, input: input, layout: inputLayout, stride: stride,
                           padTop: padTop, padLeft: padLeft, into: g0)
                    let out0 = output + (oy * outW + ox) * outPS
                    if pair {
                        gather(oy: oy, ox: ox + 1, cin: cin, input: input, layout: inputLayout, stride: stride,
                               padTop: padTop, padLeft: padLeft, into: g1)
                        twoPixels(k: k, g0: g0, g1: g1, weights: weights, bias: bias, n: outputChannels,
                                  out0: out0, out1: out0 + outPS)
                        ox += 2
                    } else {
                        onePixel(k: k, g: g0, weights: weights, bias: bias, n: outputChannels, out: out0)
                        ox += 1
                    }
                }
            }
        }
    }

    @inline(__always)
    static func gather(oy: Int, ox: Int, cin: Int, input: UnsafePointer<Float>, layout: ActivationLayout,
                       stride: Int, padTop: Int, padLeft: Int, into g: UnsafeMutablePointer<Float>) {
        var j = 0
        for ky in 0..<3 {
            let iy = oy * stride - padTop + ky
            for kx in 0..<3 {
                let ix = ox * stride - padLeft + kx
                let inside = iy >= 0 && iy < layout.height && ix >= 0 && ix < layout.width
                let src = input + (inside ? (iy * layout.width + ix) * layout.pixelStride : 0)
                if cin == 3 {
                    // RGB, spelled out: a loop here gets vectorized into masked moves that cost more.
                    g[j] = inside ? src[0] : 0
                    g[j + 1] = inside ? src[1] : 0
                    g[j + 2] = inside ? src[2] : 0
                } else {
                    for c in 0..<cin { g[j + c] = inside ? src[c] : 0 }
                }
                j += cin
            }
        }
    }

    @inline(__always)
    static func twoPixels(k: Int, g0: UnsafePointer<Float>, g1: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, n: Int, out0: UnsafeMutablePointer<Float>,
                          out1: UnsafeMutablePointer<Float>) {
        var co = 0
        while co + 32 <= n {
            var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
            var b0 = Vec8(), b1 = Vec8(), b2 = Vec8(), b3 = Vec8()
            var w = weights + co
            for t in 0..<k {
                let w0 = load8(w), w1 = load8(w + 8), w2 = load8(w + 16), w3 = load8(w + 24)
                let x = Vec8(repeating: g0[t]), y = Vec8(repeating: g1[t])
                a0.addProduct(x, w0); a1.addProduct(x, w1); a2.addProduct(x, w2); a3.addProduct(x, w3)
                b0.addProduct(y, w0); b1.addProduct(y, w1); b2.addProduct(y, w2); b3.addProduct(y, w3)
                w += n
            }
            let c0 = load8(bias + co), c1 = load8(bias + co + 8), c2 = load8(bias + co + 16), c3 = load8(bias + co + 24)
            store8(relu6(a0 + c0), out0 + co); store8(relu6(a1 + c1), out0 + co + 8)
            store8(relu6(a2 + c2), out0 + co + 16); store8(relu6(a3 + c3), out0 + co + 24)
            store8(relu6(b0 + c0), out1 + co); store8(relu6(b1 + c1), out1 + co + 8)
            store8(relu6(b2 + c2), out1 + co + 16); store8(relu6(b3 + c3), out1 + co + 24)
            co += 32
        }
        while co < n {
            var a0 = Vec8(), b0 = Vec8()
            var w = weights + co
            for t in 0..<k {
                let w0 = load8(w)
                a0.addProduct(Vec8(repeating: g0[t]), w0)
                b0.addProduct(Vec8(repeating: g1[t]), w0)
                w += n
            }
            store8(relu6(a0 + load8(bias + co)), out0 + co)
            store8(relu6(b0 + load8(bias + co)), out1 + co)
            co += 8
        }
    }

    @inline(__always)
    static func onePixel(k: Int, g: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                         n: Int, out: UnsafeMutablePointer<Float>) {
        var co = 0
        while co < n {
            var a0 = Vec8()
            var w = weights + co
            for t in 0..<k {
                a0.addProduct(Vec8(repeating: g[t]), load8(w))
                w += n
            }
            store8(relu6(a0 + load8(bias + co)), out + co)
            co += 8
        }
    }
}
