// Depthwise 3x3 convolution + bias + clamp (ReLU6) on NHWC activations, SIMD across
// channels. Weights are packed at load as 9 taps x C (tap-major) so each tap's
// 8 channels are one load. Border pixels skip the taps that fall into TF's
// SAME zero padding; interior pixels take a branch-free path. Every pixel
// always takes the same path, so the row partition never changes the bits.

import MobileNetKernelInterface

public protocol DepthwiseStride { static var value: Int { get } }
public enum Stride1: DepthwiseStride { public static var value: Int { 1 } }
public enum Stride2: DepthwiseStride { public static var value: Int { 2 } }

public enum Depthwise3x3 {
    /// Computes output rows `rows` (a subrange of 0..<output.height).
    /// `output` holds the rows from `firstOutputRow` on (0: the whole image;
    /// a fused caller passes `rows.lowerBound` and a buffer for its tile).
    public static func run(stride: Int, channels: Int,
                           input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                           weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout,
                           padTop: Int, padLeft: Int, rows: Range<Int>, firstOutputRow: Int = 0,
                           clamp: Clamp) {
        if stride == 1 {
            runStrided(Stride1.self, channels: channels, input: input, inputLayout: inputLayout,
                       weights: weights, bias: bias, output: output, outputLayout: outputLayout,
                       padTop: padTop, padLeft: padLeft, rows: rows, firstOutputRow: firstOutputRow, clamp: clamp)
        } else {
            runStrided(Stride2.self, channels: channels, input: input, inputLayout: inputLayout,
                       weights: weights, bias: bias, output: output, outputLayout: outputLayout,
                       padTop: padTop, padLeft: padLeft, rows: rows, firstOutputRow: firstOutputRow, clamp: clamp)
        }
    }

    static func runStrided<S: DepthwiseStride>(_: S.Type, channels: Int,
                                               input: UnsafePointer<Float>, inputLayout: ActivationLayout,
                                               weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                               output: UnsafeMutablePointer<Float>, outputLayout: ActivationLayout,
                                               padTop: Int, padLeft: Int, rows: Range<Int>,
                                               firstOutputRow: Int, clamp: Clamp) {
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
            let outRow = output + (oy - firstOutputRow) * outW * outPS
            if iy0 >= 0 && iy0 + 2 < inH {
                for ox in 0..<interiorStart {
                    border(s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft, clamp: clamp)
                }
                // Four output pixels per step share each tap's weight load.
                var ox = interiorStart
                while ox + 4 <= interiorEnd {
                    let base = input + iy0 * rowStride + (ox * s - padLeft) * inPS
                    let out = outRow + ox * outPS
                    let step = s * inPS
                    var c = 0
                    while c < channels {
                        var a0 = Vec8(), a1 = Vec8(), a2 = Vec8(), a3 = Vec8()
                        var row = base + c
                        var w = weights + c
                        for _ in 0..<3 {
                            for kx in 0..<3 {
                                let wk = load8(w + kx * channels)
                                let p = row + kx * inPS
                                a0.fmadd(load8(p), wk)
                                a1.fmadd(load8(p + step), wk)
                                a2.fmadd(load8(p + 2 * step), wk)
                                a3.fmadd(load8(p + 3 * step), wk)
                            }
                            row += rowStride
                            w += 3 * channels
                        }
                        let b = load8(bias + c)
                        store8(clamped(a0 + b, clamp), out + c)
                        store8(clamped(a1 + b, clamp), out + outPS + c)
                        store8(clamped(a2 + b, clamp), out + 2 * outPS + c)
                        store8(clamped(a3 + b, clamp), out + 3 * outPS + c)
                        c += 8
                    }
                    ox += 4
                }
                while ox < interiorEnd {
                    let base = input + iy0 * rowStride + (ox * s - padLeft) * inPS
                    let out = outRow + ox * outPS
                    var c = 0
                    while c < channels {
                        var acc = Vec8()
                        var row = base + c
                        var w = weights + c
                        for _ in 0..<3 {
                            acc.fmadd(load8(row), load8(w))
                            acc.fmadd(load8(row + inPS), load8(w + channels))
                            acc.fmadd(load8(row + 2 * inPS), load8(w + 2 * channels))
                            row += rowStride
                            w += 3 * channels
                        }
                        store8(clamped(acc + load8(bias + c), clamp), out + c)
                        c += 8
                    }
                    ox += 1
                }
                for ox in interiorEnd..<outW {
                    border(s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft, clamp: clamp)
                }
            } else {
                for ox in 0..<outW {
                    border(s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft, clamp: clamp)
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
                       padTop: Int, padLeft: Int, clamp: Clamp) {
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
                    acc.fmadd(load8(input + (iy * inW + ix) * inPS + c),
                                   load8(weights + (ky * 3 + kx) * channels + c))
                }
            }
            store8(clamped(acc + load8(bias + c), clamp), out + c)
            c += 8
        }
    }
}
