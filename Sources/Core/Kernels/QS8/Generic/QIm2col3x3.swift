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
}
