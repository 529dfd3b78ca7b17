import XCTest
import MobileNet
import MobileNetKernelInterface

final class GlobalAveragePoolTests: XCTestCase {
    func testAveragesEachChannelOverPixels() {
        for kernels in testedKernels {
            let pixels = 49, channels = 16, stride = 24
            var random = SeededRandom(state: 5)
            let input = random.array(pixels * stride)
            var output = [Float](repeating: .nan, count: channels)
            kernels.globalAveragePool(input: input, pixels: pixels, pixelStride: stride, channels: channels, output: &output)
            for c in 0..<channels {
                let mean = (0..<pixels).reduce(0.0) { $0 + Double(input[$1 * stride + c]) } / Double(pixels)
                XCTAssertEqual(output[c], Float(mean), accuracy: 1e-6)
            }
        }
    }
}
