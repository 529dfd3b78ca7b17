// Mean over all pixels of each channel, summed in pixel order.

import MobileNetKernelInterface

public enum GlobalAveragePool {
    public static func run(input: UnsafePointer<Float>, pixels: Int, pixelStride: Int, channels: Int,
                           output: UnsafeMutablePointer<Float>) {
        let divisor = Vec8(repeating: Float(pixels))
        var c = 0
        while c < channels {
            var sum = Vec8()
            var p = input + c
            for _ in 0..<pixels {
                sum += load8(p)
                p += pixelStride
            }
            store8(sum / divisor, output + c)
            c += 8
        }
    }
}
