// Gathers one output row's 3x3 windows of offset Int16 activations for the
// first convolution's GEMM: row ox is 9 taps x channels, tap-major, then
// zeros to rowLength (the GEMM's k, a multiple of 8). Padded taps are 0,
// which is TFLite's skipped tap in offset form.
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
                        // The first layer's 3 channels: a loop beats a memcpy call.
                        for c in 0..<channels { d[c] = src[c] }
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
