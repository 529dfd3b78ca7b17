import XCTest
import MobileNet
import MobileNetKernelInterface

final class Depthwise3x3Tests: XCTestCase {
    func testMatchesReferenceForBothStridesAndOddSizes() {
        for kernels in testedKernels {
            for (h, w, c, stride) in [(7, 9, 8, 1), (8, 8, 16, 2), (9, 5, 24, 2), (1, 1, 8, 1), (2, 3, 8, 2), (14, 14, 32, 1), (20, 23, 16, 1), (21, 30, 8, 2)] {
                var random = SeededRandom(state: UInt64(h * 100 + w * 10 + c + stride))
                let input = random.array(h * w * c, scale: 3), weights = random.array(9 * c), bias = random.array(c)
                let want = referenceDepthwise(input: input, h: h, w: w, c: c, weights: weights, bias: bias, stride: stride)
                var got = [Float](repeating: .nan, count: want.oh * want.ow * c)
                let padTop = max((want.oh - 1) * stride + 3 - h, 0) / 2
                let padLeft = max((want.ow - 1) * stride + 3 - w, 0) / 2
                kernels.depthwise3x3(stride: stride, channels: c, input: input,
                                 inputLayout: ActivationLayout(height: h, width: w, pixelStride: c),
                                 weights: weights, bias: bias, output: &got,
                                 outputLayout: ActivationLayout(height: want.oh, width: want.ow, pixelStride: c),
                                 padTop: padTop, padLeft: padLeft, rows: 0..<want.oh,
                                    firstOutputRow: 0, clamp: .relu6)
                XCTAssertLessThan(maxAbsDifference(got, want.output), 1e-5, "\(kernels.tier.name) \(h)x\(w)x\(c) stride \(stride)")
            }
        }
    }
}
