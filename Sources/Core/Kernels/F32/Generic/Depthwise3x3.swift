// Depthwise 3x3 convolution + bias + clamp (ReLU6) on NHWC activations, SIMD across
// channels, written once for any vector width: the tier's `DepthwiseVector`,
// and 8 for a remainder of 8 channels. The AVX-512 tier uses 16 lanes from
// 64 channels on (Zen 4: 12 of the 13 layers of 1.0/224 10-45% faster once
// the 16-lane clamp became vmaxps/vminps; an earlier 16-lane try, with the
// clamp as ~40 xmm instructions, was 2x slower) and 8 below (32 channels:
// 0.197 -> 0.221 ms with 16). Weights are packed at load as 9 taps x C
// (tap-major) so each tap's channels are one load. Each output is the same
// sum in the same tap order whatever the width, so the bits do not depend
// on it. Border pixels skip the taps that fall into TF's
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
        let lanes = channels < 64 ? 8 : ThisTier.DepthwiseVector.lanes
        let wide = channels / lanes * lanes
        func pass<V: KernelVector>(_: V.Type, _ range: Range<Int>) {
            if range.isEmpty { return }
            if stride == 1 {
                runStrided(Stride1.self, V.self, channels: channels, range: range, input: input,
                           inputLayout: inputLayout, weights: weights, bias: bias, output: output,
                           outputLayout: outputLayout, padTop: padTop, padLeft: padLeft, rows: rows,
                           firstOutputRow: firstOutputRow, clamp: clamp)
            } else {
                runStrided(Stride2.self, V.self, channels: channels, range: range, input: input,
                           inputLayout: inputLayout, weights: weights, bias: bias, output: output,
                           outputLayout: outputLayout, padTop: padTop, padLeft: padLeft, rows: rows,
                           firstOutputRow: firstOutputRow, clamp: clamp)
            }
        }
        if lanes == 8 {
            pass(SIMD8<Float>.self, 0..<channels)
        } else {
            pass(ThisTier.DepthwiseVector.self, 0..<wide)
            pass(SIMD8<Float>.self, wide..<channels)
        }
    }

    /// Channels `range` (multiples of V.lanes) of output rows `rows`.
    static func runStrided<S: DepthwiseStride, V: KernelVector>(_: S.Type, _: V.Type, channels: Int, range: Range<Int>,
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
                    border(V.self, range: range, s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft, clamp: clamp)
                }
                // Four output pixels per step share each tap's weight load.
                var ox = interiorStart
                while ox + 4 <= interiorEnd {
                    let base = input + iy0 * rowStride + (ox * s - padLeft) * inPS
                    let out = outRow + ox * outPS
                    let step = s * inPS
                    var c = range.lowerBound
                    while c < range.upperBound {
                        var a0 = V.zero, a1 = V.zero, a2 = V.zero, a3 = V.zero
                        var row = base + c
                        var w = weights + c
                        for _ in 0..<3 {
                            for kx in 0..<3 {
                                let wk = V.load(w + kx * channels)
                                let p = row + kx * inPS
                                a0.fmadd(V.load(p), wk)
                                a1.fmadd(V.load(p + step), wk)
                                a2.fmadd(V.load(p + 2 * step), wk)
                                a3.fmadd(V.load(p + 3 * step), wk)
                            }
                            row += rowStride
                            w += 3 * channels
                        }
                        let b = V.load(bias + c)
                        a0.plus(b).clamped(clamp).store(out + c)
                        a1.plus(b).clamped(clamp).store(out + outPS + c)
                        a2.plus(b).clamped(clamp).store(out + 2 * outPS + c)
                        a3.plus(b).clamped(clamp).store(out + 3 * outPS + c)
                        c += V.lanes
                    }
                    ox += 4
                }
                while ox < interiorEnd {
                    let base = input + iy0 * rowStride + (ox * s - padLeft) * inPS
                    let out = outRow + ox * outPS
                    var c = range.lowerBound
                    while c < range.upperBound {
                        var acc = V.zero
                        var row = base + c
                        var w = weights + c
                        for _ in 0..<3 {
                            acc.fmadd(V.load(row), V.load(w))
                            acc.fmadd(V.load(row + inPS), V.load(w + channels))
                            acc.fmadd(V.load(row + 2 * inPS), V.load(w + 2 * channels))
                            row += rowStride
                            w += 3 * channels
                        }
                        acc.plus(V.load(bias + c)).clamped(clamp).store(out + c)
                        c += V.lanes
                    }
                    ox += 1
                }
                for ox in interiorEnd..<outW {
                    border(V.self, range: range, s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft, clamp: clamp)
                }
            } else {
                for ox in 0..<outW {
                    border(V.self, range: range, s: s, oy: oy, ox: ox, channels: channels, input: input, inH: inH, inW: inW,
                           inPS: inPS, weights: weights, bias: bias, out: outRow + ox * outPS,
                           padTop: padTop, padLeft: padLeft, clamp: clamp)
                }
            }
        }
    }

    /// One output pixel near the border: taps in the padding are skipped, which
    /// equals multiplying them by zero (fma(0, w, acc) == acc).
    @inline(never)
    static func border<V: KernelVector>(_: V.Type, range: Range<Int>, s: Int, oy: Int, ox: Int, channels: Int, input: UnsafePointer<Float>,
                       inH: Int, inW: Int, inPS: Int, weights: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                       padTop: Int, padLeft: Int, clamp: Clamp) {
        let iy0 = oy * s - padTop, ix0 = ox * s - padLeft
        var c = range.lowerBound
        while c < range.upperBound {
            var acc = V.zero
            for ky in 0..<3 {
                let iy = iy0 + ky
                if iy < 0 || iy >= inH { continue }
                for kx in 0..<3 {
                    let ix = ix0 + kx
                    if ix < 0 || ix >= inW { continue }
                    acc.fmadd(V.load(input + (iy * inW + ix) * inPS + c),
                                   V.load(weights + (ky * 3 + kx) * channels + c))
                }
            }
            acc.plus(V.load(bias + c)).clamped(clamp).store(out + c)
            c += V.lanes
        }
    }
}
