import XCTest
import MobileNet
import MobileNetKernelInterface

final class Im2col3x3Tests: XCTestCase {
    /// A full 3x3 convolution as im2col rows times packed weights equals the
    /// direct sum over taps and channels.
    func testConvolutionThroughIm2colMatchesDirectSum() {
        for kernels in testedKernels {
            let h = 7, w = 6, cin = 3, cout = 8, stride = 2
            var random = SeededRandom(state: 3)
            let input = random.array(h * w * cin), weights = random.array(9 * cin * cout), bias = random.array(cout)
            let oh = (h + 1) / 2, ow = (w + 1) / 2
            let padTop = max((oh - 1) * stride + 3 - h, 0) / 2, padLeft = max((ow - 1) * stride + 3 - w, 0) / 2
            let packed = pack(weights, k: 9 * cin, n: cout, kernels)
            var row = [Float](repeating: 0, count: ow * 9 * cin)
            var got = [Float](repeating: 0, count: oh * ow * cout)
            for oy in 0..<oh {
                kernels.im2col3x3Row(input: input, layout: ActivationLayout(height: h, width: w, pixelStride: cin), channels: cin,
                              oy: oy, outputWidth: ow, stride: stride, padTop: padTop, padLeft: padLeft, into: &row)
                got.withUnsafeMutableBufferPointer { out in
                    kernels.gemm(m: ow, k: 9 * cin, n: cout, a: row, lda: 9 * cin, packedB: packed, bias: bias,
                                      c: out.baseAddress! + oy * ow * cout, ldc: cout, clamp: .none, panels: nil)
                }
            }
            let want = referenceConv3x3(input: input, h: h, w: w, cin: cin, cout: cout, weights: weights, bias: bias,
                                        stride: stride)
            XCTAssertLessThan(maxAbsDifference(got, want), 1e-5)
        }
    }
}
