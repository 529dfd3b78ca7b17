import XCTest
import MobileNetKernelInterface

/// qquantize against TFLite's QUANTIZE written with Float.rounded(.toNearestOrAwayFromZero)
/// (std::round): ties, values next to ties, huge values, NaN, both types' ranges.
final class QS8QuantizeTests: XCTestCase {
    func reference(_ x: Float, scale: Float, zero: Int32, lower: Int32, upper: Int32) -> Int16 {
        let y = x / scale
        guard y == y else { return Int16(lower - zero) }  // NaN: the kernel's documented choice
        let r = Swift.min(Swift.max(y.rounded(.toNearestOrAwayFromZero), -1e6), 1e6)
        let q = Int32(r) + zero
        return Int16(Swift.min(Swift.max(q, lower), upper) - zero)
    }

    func testMatchesTFLiteQuantize() {
        let scale: Float = 0.007843137718737125
        var values: [Float] = [0, -0, 1, -1, 0.5 * scale, -0.5 * scale, 1.5 * scale, -2.5 * scale, 1e30, -1e30,
                               .infinity, -.infinity, .nan, Float.leastNonzeroMagnitude, 127.5 * scale]
        for k in -200...200 {
            let tie = (Float(k) + 0.5) * scale
            values += [tie, tie.nextUp, tie.nextDown]
        }
        var state: UInt32 = 7
        for _ in 0..<5000 {
            state = state &* 1664525 &+ 1013904223
            values.append(Float(Int32(bitPattern: state)) / Float(Int32.max) * 1.2)
        }
        let pixels = values.count / 3, stride = 8
        for kernels in testedQS8Kernels {
            for (zero, lower, upper) in [(Int32(-1), Int32(-128), Int32(127)), (128, 0, 255), (-128, -128, 127)] {
                var out = [Int16](repeating: 0x5A5A, count: pixels * stride)
                kernels.qquantize(input: values, inputStride: 3, pixels: pixels, channels: 3, scale: scale,
                                  zeroPoint: zero, lower: lower, upper: upper, output: &out, outputStride: stride)
                for p in 0..<pixels {
                    for c in 0..<stride {
                        let want = c < 3 ? reference(values[p * 3 + c], scale: scale, zero: zero, lower: lower,
                                                     upper: upper) : 0
                        XCTAssertEqual(out[p * stride + c], want, "\(kernels.tier.name) x = \(c < 3 ? values[p * 3 + c] : 0)")
                    }
                }
            }
        }
    }

    /// Channel counts 1...8 into 8-Int16 pixels (the vector path, two pixels
    /// a vector; RGB at stride 3 16 pixels a zmm block on AVX-512, with a
    /// tail), odd and even pixel counts, strided input: nothing past the last
    /// pixel is written.
    func testPixelCountsChannelsAndStrides() {
        let scale: Float = 0.0123
        for kernels in testedQS8Kernels {
            for channels in [1, 3, 4, 5, 8] {
                for pixels in [1, 2, 7, 10, 15, 16, 33, 48] {
                    let inputStride = channels + (pixels % 3)
                    let values = (0..<(pixels * inputStride)).map { Float(($0 * 37) % 101 - 50) * 0.031 }
                    var out = [Int16](repeating: 0x5A5A, count: pixels * 8 + 8)
                    kernels.qquantize(input: values, inputStride: inputStride, pixels: pixels, channels: channels,
                                      scale: scale, zeroPoint: 3, lower: -128, upper: 127, output: &out,
                                      outputStride: 8)
                    for p in 0..<pixels {
                        for c in 0..<8 {
                            let want = c < channels ? reference(values[p * inputStride + c], scale: scale, zero: 3,
                                                                lower: -128, upper: 127) : 0
                            XCTAssertEqual(out[p * 8 + c], want, "\(kernels.tier.name) \(channels) channels pixel \(p)")
                        }
                    }
                    XCTAssertEqual(Array(out[(pixels * 8)...]), [Int16](repeating: 0x5A5A, count: 8))
                }
            }
        }
    }
}
