// The 8-bit depthwise 3x3 convolution (offset Int16 activations, Int32
// weights 9 x channels tap-major), SIMD across 8 channels in int32 lanes.
// Per output row, channel groups outer and pixels inner, so each group's
// output-stage constants are built once per row rather than per pixel.
// Taps in TF's SAME padding are skipped (an offset 0 activation contributes
// 0); sums are exact, so the tap order and row split never change the bits.
// About 3% of MobileNet's MACs: a plain loop, not a register-tiled one.
import MobileNetKernelInterface

protocol QStride { static var value: Int { get } }
enum QStride1: QStride { static var value: Int { 1 } }
enum QStride2: QStride { static var value: Int { 2 } }

public enum QDepthwise3x3 {
    public static func run(stride: Int, channels: Int, input: UnsafePointer<Int16>, inputLayout: ActivationLayout,
                           weights: UnsafePointer<Int32>, requantization: Requantization,
                           output: UnsafeMutablePointer<Int16>, outputLayout: ActivationLayout,
                           padTop: Int, padLeft: Int, rows: Range<Int>) {
        if stride == 1 {
            runStrided(QStride1.self, channels: channels, input: input, inputLayout: inputLayout, weights: weights,
                       requantization: requantization, output: output, outputLayout: outputLayout,
                       padTop: padTop, padLeft: padLeft, rows: rows)
        } else {
            runStrided(QStride2.self, channels: channels, input: input, inputLayout: inputLayout, weights: weights,
                       requantization: requantization, output: output, outputLayout: outputLayout,
                       padTop: padTop, padLeft: padLeft, rows: rows)
        }
    }

    static func runStrided<S: QStride>(_: S.Type, channels: Int, input: UnsafePointer<Int16>,
                                       inputLayout: ActivationLayout, weights: UnsafePointer<Int32>,
                                       requantization r: Requantization, output: UnsafeMutablePointer<Int16>,
                                       outputLayout: ActivationLayout, padTop: Int, padLeft: Int,
                                       rows: Range<Int>) {
        let s = S.value
        let inH = inputLayout.height, inW = inputLayout.width, inPS = inputLayout.pixelStride
        let outW = outputLayout.width, outPS = outputLayout.pixelStride
        let rowStride = inW * inPS
        // Output columns whose three input columns all lie inside the image.
        var interiorStart = 0
        while interiorStart < outW && interiorStart * s - padLeft < 0 { interiorStart += 1 }
        var interiorEnd = interiorStart
        while interiorEnd < outW && interiorEnd * s - padLeft + 2 < inW { interiorEnd += 1 }
        let vectorChannels = channels & ~7

        for oy in rows {
            let iy0 = oy * s - padTop
            let ky0 = max(0, -iy0), ky1 = min(3, inH - iy0)
            let fullRows = ky0 == 0 && ky1 == 3
            let outRow = output + oy * outW * outPS
            var c = 0
            while c < vectorChannels {
                let stage = ChannelStage8(r, channel: c)
                let w = weights + c
                for ox in 0..<outW {
                    let ix0 = ox * s - padLeft
                    var acc = SIMD8<Int32>()
                    if fullRows && ox >= interiorStart && ox < interiorEnd {
                        let base = input + iy0 * rowStride + ix0 * inPS + c
                        for ky in 0..<3 {
                            let p = base + ky * rowStride, wk = w + 3 * ky * channels
                            acc &+= load8(p) &* load8(wk)
                            acc &+= load8(p + inPS) &* load8(wk + channels)
                            acc &+= load8(p + 2 * inPS) &* load8(wk + 2 * channels)
                        }
                    } else {
                        let kx0 = max(0, -ix0), kx1 = min(3, inW - ix0)
                        var ky = ky0
                        while ky < ky1 {
                            var kx = kx0
                            while kx < kx1 {
                                let p = input + ((iy0 + ky) * inW + ix0 + kx) * inPS + c
                                acc &+= load8(p) &* load8(w + (3 * ky + kx) * channels)
                                kx += 1
                            }
                            ky += 1
                        }
                    }
                    store8(requantize8(acc, stage), outRow + ox * outPS + c)
                }
                c += 8
            }
            // Channels past the last multiple of 8 (none in the runtime's layouts), one at a time.
            while c < channels {
                for ox in 0..<outW {
                    let ix0 = ox * s - padLeft
                    let kx0 = max(0, -ix0), kx1 = min(3, inW - ix0)
                    var acc: Int32 = 0
                    var ky = ky0
                    while ky < ky1 {
                        var kx = kx0
                        while kx < kx1 {
                            acc &+= Int32(input[((iy0 + ky) * inW + ix0 + kx) * inPS + c]) &* weights[(3 * ky + kx) * channels + c]
                            kx += 1
                        }
                        ky += 1
                    }
                    outRow[ox * outPS + c] = Int16(truncatingIfNeeded: requantizeScalar(acc, r, channel: c))
                }
                c += 1
            }
        }
    }
}

/// One channel's output stage, for the rare scalar tails.
@inline(__always)
func requantizeScalar(_ acc: Int32, _ r: Requantization, channel: Int) -> Int32 {
    let q = requantizeReference(acc &+ r.bias[channel], multiplier: r.multiplier[channel], shift: r.shift[channel])
        &+ r.outputZeroPoint
    return min(max(q, r.lower), r.upper) &- r.outputZeroPoint
}
