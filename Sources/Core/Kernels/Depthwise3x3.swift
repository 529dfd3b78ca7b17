// Depthwise 3x3 convolution + bias + ReLU6 on NHWC activations, SIMD across
// channels. Weights are packed at load as 9 taps x C (tap-major) so each tap's
// 8 channels are one load. Border pixels skip the taps that fall into TF's
// SAME zero padding; interior pixels take a branch-free path. Every pixel
// always takes the same path, so the row partition never changes the bits.

public protocol DepthwiseStride { static var value: Int { get } }
public enum Stride1: DepthwiseStride { public static var value: Int { 1 } }
public enum Stride2: DepthwiseStride { public static var value: Int { 2 } }

public struct ActivationLayout {
    public var height: Int
    public var width: Int
    /// Floats from one pixel to the next (>= channels, a multiple of 8).
    public var pixelStride: Int

    public init(height: Int, width: Int, pixelStride: Int) {
        self.height = height
        self.width = width
        self.pixelStride = pixelStride
    }
}

public enum Depthwise3x3 {
    /// Computes output rows `rows` (a subrange of 0..<output.height).
    public static func run(stride: Int, channels: Int,
                           input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                           weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout,
                           padTop: Int, padLeft: Int, rows: Range<Int>) {
        if stride == 1 {
            runStrided(Stride1.self, channels: channels, input: input, inputLayout: inputLayout,
                       weights: weights, bias: bias, output: output, outputLayout: outputLayout,
                       padTop: padTop, padLeft: padLeft, rows: rows)
        } else {
            runStrided(Stride2.self, channels: channels, input: input, inputLayout: inputLayout,
                       weights: weights, bias: bias, output: output, outputLayout: outputLayout,
                       padTop: padTop, padLeft: padLeft, rows: rows)
        }
    }

    static func runStrided<S: DepthwiseStride>(_: S.Type, channels: Int,
                                               input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                                               weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                               output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout,
                                               padTop: Int, padLeft: Int, rows: Range<Int>) {
        let s = S.value
        let inH = inputLayout.height, inW = inputLayout.width, inPS = inputLayout.pixelStride
        let outW = outputLayout.width, outPS = outputLayout.pixelStride
        let rowStride = inW * inPS
        // Output columns whose three input columns all lie inside the image.
        var interiorStart = 0
        while interiorStart < outW && interiorStart * s - padLeft < 0 { interiorStart += 1 }
        var interiorEnd = interiorStart
        while interiorEnd < outW && interiorEnd * s - padLeft + 2 < inW { interiorEnd += 1 }

        for oy in rows {
            let iy0 = oy * s - padTop
            let outRow = output + oy * outW * outPS
            if iy0 >= 0 && iy0 + 2 < inH {
                for ox in 0..<interiorStart {
                    border(s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft)
                }
                for ox in interiorStart..<interiorEnd {
                    let base = input + iy0 * rowStride + (ox * s - padLeft) * inPS
                    let out = outRow + ox * outPS
                    var c = 0
                    while c < channels {
                        let r0 = base + c, r1 = r0 + rowStride, r2 = r1 + rowStride
                        let w = weights + c
                        var acc = Vec8()
                        acc.addProduct(load8(r0), load8(w))
                        acc.addProduct(load8(r0 + inPS), load8(w + channels))
                        acc.addProduct(load8(r0 + 2 * inPS), load8(w + 2 * channels))
                        acc.addProduct(load8(r1), load8(w + 3 * channels))
                        acc.addProduct(load8(r1 + inPS), load8(w + 4 * channels))
                        acc.addProduct(load8(r1 + 2 * inPS), load8(w + 5 * channels))
                        acc.addProduct(load8(r2), load8(w + 6 * channels))
                        acc.addProduct(load8(r2 + inPS), load8(w + 7 * channels))
                        acc.addProduct(load8(r2 + 2 * inPS), load8(w + 8 * channels))
                        store8(relu6(acc + load8(bias + c)), out + c)
                        c += 8
                    }
                }
                for ox in max(interiorEnd, interiorStart)..<outW {
                    border(s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft)
                }
            } else {
                for ox in 0..<outW {
                    border(s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft)
                }
            }
        }
    }

    /// One output pixel near the border: taps in the padding are skipped, which
    /// equals multiplying them by zero (fma(0, w, acc) == acc).
    @inline(never)
    static func border(s: Int, oy: Int, ox: Int, channels: Int, input: UnsafePointer<Float>,
                       inH: Int, inW: Int, inPS: Int, weights: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                       padTop: Int, padLeft: Int) {
        let iy0 = oy * s - padTop, ix0 = ox * s - padLeft
        var c = 0
        while c < channels {
            var acc = Vec8()
            for ky in 0..<3 {
                let iy = iy0 + ky
                if iy < 0 || iy >= inH { continue }
                for kx in 0..<3 {
                    let ix = ix0 + kx
                    if ix < 0 || ix >= inW { continue }
                    acc.addProduct(load8(input + (iy * inW + ix) * inPS + c),
                                   load8(weights + (ky * 3 + kx) * channels + c))
                }
            }
            store8(relu6(acc + load8(bias + c)), out + c)
            c += 8
        }
    }
}
