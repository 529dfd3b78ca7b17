// Per-channel sums of offset Int16 activations for the average pool, exact in
// Int32 (|v| <= 255, so up to 8 million pixels cannot overflow).
import MobileNetKernelInterface

public enum QChannelSums {
    public static func run(input: UnsafePointer<Int16>, pixels: Int, pixelStride: Int, channels: Int,
                           output: UnsafeMutablePointer<Int32>) {
        var c = 0
        while c + 8 <= channels {
            var sum = SIMD8<Int32>()
            var p = input + c
            for _ in 0..<pixels {
                sum &+= load8(p)
                p += pixelStride
            }
            store8(sum, output + c)
            c += 8
        }
        while c < channels {
            var sum: Int32 = 0
            for i in 0..<pixels { sum &+= Int32(input[i * pixelStride + c]) }
            output[c] = sum
            c += 1
        }
    }
}
