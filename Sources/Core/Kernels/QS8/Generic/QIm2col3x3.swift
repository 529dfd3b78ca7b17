// Gathers one output row's 3x3 windows of offset Int16 activations for the
// first convolution's GEMM: row ox is 9 taps x channels, tap-major, then
// zeros to rowLength (the GEMM's k, a multiple of 8). Padded taps are 0,
// which is TFLite's skipped tap in offset form. Taps of 4 channels (the
// first layer's RGB + the zero after them) move as one 8-byte word: the
// scalar 3-value loop cost 6% of an int8 inference on Zen 5.
import MobileNetKernelInterface

public enum QIm2col3x3 {
    public static func row(input: UnsafePointer<Int16>, layout: ActivationLayout, channels: Int, oy: Int,
                           outputWidth: Int, stride: Int, padTop: Int, padLeft: Int, rowLength: Int,
                           into dst: UnsafeMutablePointer<Int16>) {
        let inH = layout.height, inW = layout.width, ps = layout.pixelStride
        if channels == 4 && rowLength == 40 {
            rowOfWords(input: input, layout: layout, oy: oy, outputWidth: outputWidth, stride: stride,
                       padTop: padTop, padLeft: padLeft, into: dst)
            return
        }
        for ox in 0..<outputWidth {
            var d = dst + ox * rowLength
            for ky in 0..<3 {
                let iy = oy * stride - padTop + ky
                for kx in 0..<3 {
                    let ix = ox * stride - padLeft + kx
                    if iy >= 0 && iy < inH && ix >= 0 && ix < inW {
                        let src = input + (iy * inW + ix) * ps
                        if channels == 4 {
                            UnsafeMutableRawPointer(d).storeBytes(
                                of: UnsafeRawPointer(src).loadUnaligned(as: UInt64.self), as: UInt64.self)
                        } else {
                            for c in 0..<channels { d[c] = src[c] }  // a loop beats a memcpy call
                        }
                    } else if channels == 4 {
                        UnsafeMutableRawPointer(d).storeBytes(of: 0, as: UInt64.self)
                    } else {
                        for c in 0..<channels { d[c] = 0 }
                    }
                    d += channels
                }
            }
            let tail = rowLength - 9 * channels
            if tail > 0 { d.update(repeating: 0, count: tail) }
        }
    }

    /// The first layer's case: 9 taps of one 8-byte word each and one zero
    /// word of tail; rows wholly inside the image skip the per-tap checks
    /// (the general loop, with a fill call for the tail, ran ~56 cycles per
    /// output pixel on Zen 5).
    static func rowOfWords(input: UnsafePointer<Int16>, layout: ActivationLayout, oy: Int, outputWidth: Int,
                           stride: Int, padTop: Int, padLeft: Int, into dst: UnsafeMutablePointer<Int16>) {
        let inH = layout.height, inW = layout.width, ps = layout.pixelStride
        let iy0 = oy * stride - padTop
        let rowsInside = iy0 >= 0 && iy0 + 2 < inH
        for ox in 0..<outputWidth {
            let ix0 = ox * stride - padLeft
            let d = UnsafeMutableRawPointer(dst + ox * 40)
            if rowsInside && ix0 >= 0 && ix0 + 2 < inW {
                let base = input + (iy0 * inW + ix0) * ps
                for ky in 0..<3 {
                    let src = UnsafeRawPointer(base + ky * inW * ps)
                    d.storeBytes(of: src.loadUnaligned(as: UInt64.self), toByteOffset: 24 * ky, as: UInt64.self)
                    d.storeBytes(of: src.loadUnaligned(fromByteOffset: 2 * ps, as: UInt64.self),
                                 toByteOffset: 24 * ky + 8, as: UInt64.self)
                    d.storeBytes(of: src.loadUnaligned(fromByteOffset: 4 * ps, as: UInt64.self),
                                 toByteOffset: 24 * ky + 16, as: UInt64.self)
                }
            } else {
                for tap in 0..<9 {
                    let iy = iy0 + tap / 3, ix = ix0 + tap % 3
                    var word: UInt64 = 0
                    if iy >= 0 && iy < inH && ix >= 0 && ix < inW {
                        word = UnsafeRawPointer(input + (iy * inW + ix) * ps).loadUnaligned(as: UInt64.self)
                    }
                    d.storeBytes(of: word, toByteOffset: 8 * tap, as: UInt64.self)
                }
            }
            d.storeBytes(of: 0, toByteOffset: 72, as: UInt64.self)
        }
    }
}
