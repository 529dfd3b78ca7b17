import XCTest
import MobileNet
import MobileNetKernelInterface

final class DirectConv3x3Tests: XCTestCase {
    func testMatchesDirectSumWithReLU6() {
        for kernels in testedKernels {
            // Interior pixels read in place, border pixels gathered; odd widths end
            // rows with a single pixel; 2 and 4 channels too.
            for (h, w, cin, cout, stride) in [(9, 11, 3, 40, 2), (6, 5, 3, 8, 1), (1, 1, 2, 32, 2), (16, 16, 3, 32, 2),
                                              (13, 14, 3, 32, 1), (7, 9, 4, 16, 1), (10, 7, 2, 24, 2), (2, 2, 3, 32, 1)] {
                var random = SeededRandom(state: UInt64(h * w + cout))
                let input = random.array(h * w * cin, scale: 2), weights = random.array(9 * cin * cout)
                let bias = random.array(cout)
                let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
                let padTop = max((oh - 1) * stride + 3 - h, 0) / 2, padLeft = max((ow - 1) * stride + 3 - w, 0) / 2
                var got = [Float](repeating: .nan, count: oh * ow * cout)
                kernels.directConv3x3(inputChannels: cin, outputChannels: cout, input: input,
                                  inputLayout: ActivationLayout(height: h, width: w, pixelStride: cin), weights: weights,
                                  bias: bias, output: &got,
                                  outputLayout: ActivationLayout(height: oh, width: ow, pixelStride: cout),
                                  stride: stride, padTop: padTop, padLeft: padLeft, rows: 0..<oh, clamp: .relu6)
                let want = referenceConv3x3(input: input, h: h, w: w, cin: cin, cout: cout, weights: weights, bias: bias,
                                            stride: stride).map { min(max($0, 0), 6) }
                XCTAssertLessThan(maxAbsDifference(got, want), 1e-5, "\(kernels.tier.name) \(h)x\(w)x\(cin) -> \(cout), stride \(stride)")
            }
        }
    }
}
