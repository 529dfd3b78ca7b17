// The 8-bit depthwise 3x3 convolution (offset Int16 activations, Int32
// weights 9 x channels tap-major), SIMD across a group of channels in int32
// lanes: 8 (QLanes8), or the tier's wider group (ThisTier.DepthwiseLanes:
// 16 in one zmm on AVX-512, where the output stage, ~17 instructions per
// vector against 9 multiply-adds, is then paid once per 16 outputs).
// Per output row, channel groups outer and pixels inner, so each group's
// output-stage constants are built once per row rather than per pixel.
// Taps in TF's SAME padding are skipped (an offset 0 activation contributes
// 0); sums are exact, so the tap order and row split never change the bits.
// About 3% of MobileNet's MACs: a plain loop, not a register-tiled one.
import MobileNetKernelInterface

protocol QStride { static var value: Int { get } }
enum QStride1: QStride { static var value: Int { 1 } }
enum QStride2: QStride { static var value: Int { 2 } }

/// A tier's wider block of channels done from packed tap pairs (AVX-512's
/// vpdpwssd, QPairs32), or none (width 0). Packed weights are the 9 x
/// channels Int32 taps, then `extraCount` Int32s of the block's own layout.
protocol QDepthwisePairBlock {
    static var width: Int { get }
    static func extraCount(channels: Int) -> Int
    static func pack(_ weights: UnsafePointer<Int32>, channels: Int, into extra: UnsafeMutablePointer<Int32>)
    /// One output row's pixels for the block of channels at `group.c`.
    static func run(_ group: DepthwiseChannelGroup, input: UnsafePointer<Int16>, extra: UnsafePointer<Int32>,
                    r: Requantization, outRow: UnsafeMutablePointer<Int16>, outW: Int)
}

/// The packed tap pairs of a block `width` channels wide (16 or 32): per
/// block of channels, for pairs (0,1), (2,3), (4,5), (6,7), (8, zero), a low
/// and a high vector of `width` Int16s, in the order vpunpck{l,h}wd of the
/// two taps' inputs puts the channels: within each 128-bit lane l, low holds
/// channels 8l...8l+3 and high 8l+4...8l+7, each weight of the first tap
/// followed by the second's.
enum QDepthwisePairs {
    static func extraCount(channels: Int, width: Int) -> Int { channels / width * 5 * 2 * width / 2 }

    static func pack(_ weights: UnsafePointer<Int32>, channels: Int, width: Int,
                     into extra: UnsafeMutablePointer<Int32>) {
        let out = UnsafeMutableRawPointer(extra).assumingMemoryBound(to: Int16.self)
        for block in 0..<(channels / width) {
            for pair in 0..<5 {
                for half in 0..<2 {
                    let target = out + ((block * 5 + pair) * 2 + half) * width
                    for lane in 0..<(width / 8) {
                        for i in 0..<4 {
                            let c = block * width + 8 * lane + 4 * half + i
                            let first = weights[(2 * pair) * channels + c]
                            let second = pair < 4 ? weights[(2 * pair + 1) * channels + c] : 0
                            target[8 * lane + 2 * i] = Int16(truncatingIfNeeded: first)
                            target[8 * lane + 2 * i + 1] = Int16(truncatingIfNeeded: second)
                        }
                    }
                }
            }
        }
    }
}

/// No pair block: the 8- or 16-lane groups do every channel.
enum QNoPairBlock: QDepthwisePairBlock {
    static var width: Int { 0 }
    static func extraCount(channels: Int) -> Int { 0 }
    static func pack(_ weights: UnsafePointer<Int32>, channels: Int, into extra: UnsafeMutablePointer<Int32>) {}
    static func run(_ group: DepthwiseChannelGroup, input: UnsafePointer<Int16>, extra: UnsafePointer<Int32>,
                    r: Requantization, outRow: UnsafeMutablePointer<Int16>, outW: Int) {}
}

/// One group of channels' arithmetic for the depthwise kernel.
protocol QDepthwiseLanes {
    associatedtype Accumulator
    associatedtype Stage
    static var width: Int { get }
    static var zero: Accumulator { get }
    static func stage(_ r: Requantization, channel: Int) -> Stage
    /// acc += input(p) * weights(w), lane by lane.
    static func multiplyAdd(_ acc: inout Accumulator, _ p: UnsafePointer<Int16>, _ w: UnsafePointer<Int32>)
    static func store(_ acc: Accumulator, _ stage: Stage, _ out: UnsafeMutablePointer<Int16>)
}

/// 8 channels in SIMD8<Int32>, every tier's requantize8.
enum QLanes8: QDepthwiseLanes {
    static var width: Int { 8 }
    static var zero: SIMD8<Int32> { SIMD8() }
    @inline(__always) static func stage(_ r: Requantization, channel: Int) -> ChannelStage8 {
        ChannelStage8(r, channel: channel)
    }
    @inline(__always)
    static func multiplyAdd(_ acc: inout SIMD8<Int32>, _ p: UnsafePointer<Int16>, _ w: UnsafePointer<Int32>) {
        acc &+= load8(p) &* load8(w)
    }
    @inline(__always)
    static func store(_ acc: SIMD8<Int32>, _ stage: ChannelStage8, _ out: UnsafeMutablePointer<Int16>) {
        store8(requantize8(acc, stage), out)
    }
}

public enum QDepthwise3x3 {
    static func packedCount(channels: Int) -> Int { 9 * channels + ThisTier.DepthwisePairs.extraCount(channels: channels) }

    static func pack(_ weights: UnsafePointer<Int32>, channels: Int, into packed: UnsafeMutablePointer<Int32>) {
        packed.update(from: weights, count: 9 * channels)
        ThisTier.DepthwisePairs.pack(weights, channels: channels, into: packed + 9 * channels)
    }

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
        let wide = ThisTier.DepthwiseLanes.width

        for oy in rows {
            let iy0 = oy * s - padTop
            let ky0 = max(0, -iy0), ky1 = min(3, inH - iy0)
            let outRow = output + oy * outW * outPS
            var c = 0
            while c + QLanes8.width <= channels {
                let pairs = ThisTier.DepthwisePairs.width
                let lanes = pairs > 0 && channels - c >= pairs ? pairs : channels - c >= wide ? wide : QLanes8.width
                let group = DepthwiseChannelGroup(c: c, channels: channels, inW: inW, inPS: inPS, outPS: outPS, stride: s,
                                         padLeft: padLeft, iy0: iy0, ky0: ky0, ky1: ky1,
                                         interior: interiorStart..<interiorEnd)
                if lanes == pairs {
                    ThisTier.DepthwisePairs.run(group, input: input, extra: weights + 9 * channels, r: r,
                                                outRow: outRow, outW: outW)
                } else if lanes == wide {
                    group.run(ThisTier.DepthwiseLanes.self, input: input, weights: weights, r: r, outRow: outRow,
                              outW: outW)
                } else {
                    group.run(QLanes8.self, input: input, weights: weights, r: r, outRow: outRow, outW: outW)
                }
                c += lanes
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

/// One output row's pixels for the channels [c, c + L.width).
struct DepthwiseChannelGroup {
    let c, channels, inW, inPS, outPS, stride, padLeft, iy0, ky0, ky1: Int
    let interior: Range<Int>

    @inline(__always)
    func run<L: QDepthwiseLanes>(_: L.Type, input: UnsafePointer<Int16>, weights: UnsafePointer<Int32>,
                                 r: Requantization, outRow: UnsafeMutablePointer<Int16>, outW: Int) {
        let stage = L.stage(r, channel: c)
        let w = weights + c, rowStride = inW * inPS
        let fullRows = ky0 == 0 && ky1 == 3
        for ox in 0..<outW {
            let ix0 = ox * stride - padLeft
            var acc = L.zero
            if fullRows && interior.contains(ox) {
                let base = input + iy0 * rowStride + ix0 * inPS + c
                for ky in 0..<3 {
                    let p = base + ky * rowStride, wk = w + 3 * ky * channels
                    L.multiplyAdd(&acc, p, wk)
                    L.multiplyAdd(&acc, p + inPS, wk + channels)
                    L.multiplyAdd(&acc, p + 2 * inPS, wk + 2 * channels)
                }
            } else {
                let kx0 = max(0, -ix0), kx1 = min(3, inW - ix0)
                var ky = ky0
                while ky < ky1 {
                    var kx = kx0
                    while kx < kx1 {
                        L.multiplyAdd(&acc, input + ((iy0 + ky) * inW + ix0 + kx) * inPS + c,
                                      w + (3 * ky + kx) * channels)
                        kx += 1
                    }
                    ky += 1
                }
            }
            L.store(acc, stage, outRow + ox * outPS + c)
        }
    }
}
