// A full 3x3 convolution + bias + ReLU6 for inputs with few channels (the
// first layer's RGB): each output pixel's 9 x C inputs are gathered into
// registers' worth of scalars and broadcast against dense weights
// ((tap * C + c) x outputChannels), 32 output channels per pass. im2col +
// GEMM would spend more on copying 27-float rows than on arithmetic.
// Accumulation order is the same as the GEMM's: tap-major, then channel.

public enum DirectConv3x3 {
    public static let maxInputChannels = 4

    public static func run(inputChannels cin: Int, outputChannels: Int,
                           input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                           weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout,
                           stride: Int, padTop: Int, padLeft: Int, rows: Range<Int>) {
        let k = 9 * cin
        let inH = inputLayout.height, inW = inputLayout.width, inPS = inputLayout.pixelStride
        let outW = outputLayout.width, outPS = outputLayout.pixelStride
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 9 * maxInputChannels) { gathered in
            let g = gathered.baseAddress!
            for oy in rows {
                for ox in 0..<outW {
                    var j = 0
                    for ky in 0..<3 {
                        let iy = oy * stride - padTop + ky
                        for kx in 0..<3 {
                            let ix = ox * stride - padLeft + kx
                            let inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW
                            let src = input + (inside ? (iy * inW + ix) * inPS : 0)
                            for c in 0..<cin { g[j + c] = inside ? src[c] : 0 }
                            j += cin
                        }
                    }
                    let out = output + (oy * outW + ox) * outPS
                    var co = 0
                    while co + 32 <= outputChannels {
                        var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
                        var w = weights + co
                        for t in 0..<k {
                            let x = Vec8(repeating: g[t])
                            a0.addProduct(x, load8(w))
                            a1.addProduct(x, load8(w + 8))
                            a2.addProduct(x, load8(w + 16))
                            a3.addProduct(x, load8(w + 24))
                            w += outputChannels
                        }
                        store8(relu6(a0 + load8(bias + co)), out + co)
                        store8(relu6(a1 + load8(bias + co + 8)), out + co + 8)
                        store8(relu6(a2 + load8(bias + co + 16)), out + co + 16)
                        store8(relu6(a3 + load8(bias + co + 24)), out + co + 24)
                        co += 32
                    }
                    while co < outputChannels {
                        var a0 = Vec8()
                        var w = weights + co
                        for t in 0..<k {
                            a0.addProduct(Vec8(repeating: g[t]), load8(w))
                            w += outputChannels
                        }
                        store8(relu6(a0 + load8(bias + co)), out + co)
                        co += 8
                    }
                }
            }
        }
    }
}
