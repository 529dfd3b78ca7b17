// Gathers the 3x3 receptive fields of one output row into a matrix so a full
// 3x3 convolution (the first layer, and the paper's full-convolution variant)
// runs on the same GEMM microkernel as the pointwise layers. Row j of the
// result is output pixel (oy, j): 9 taps x `channels` values, tap-major like
// TensorFlow's HWIO weights; taps in the SAME padding are zeros.

import MobileNetKernelInterface

public enum Im2col3x3 {
    public static func row(input: UnsafePointer<Float>, layout: ActivationLayout, channels: Int,
                           oy: Int, outputWidth: Int, stride: Int, padTop: Int, padLeft: Int,
                           into dst: UnsafeMutablePointer<Float>) {
        let k = 9 * channels
        let inH = layout.height, inW = layout.width, ps = layout.pixelStride
        for ox in 0..<outputWidth {
            var d = dst + ox * k
            for ky in 0..<3 {
                let iy = oy * stride - padTop + ky
                for kx in 0..<3 {
                    let ix = ox * stride - padLeft + kx
                    let inside = iy >= 0 && iy < inH && ix >= 0 && ix < inW
                    if channels < 16 {
                        // The first layer's 3 channels: a call to memcpy would cost more than the copy.
                        let src = input + (inside ? (iy * inW + ix) * ps : 0)
                        for c in 0..<channels { d[c] = inside ? src[c] : 0 }
                    } else if inside {
                        d.update(from: input + (iy * inW + ix) * ps, count: channels)
                    } else {
                        d.update(repeating: 0, count: channels)
                    }
                    d += channels
                }
            }
        }
    }
}
