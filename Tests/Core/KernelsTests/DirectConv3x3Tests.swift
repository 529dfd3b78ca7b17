import XCTest
@testable import MobileNetKernels

final class DirectConv3x3Tests: XCTestCase {
    func testMatchesDirectSumWithReLU6() {
        for (h, w, cin, cout, stride) in [(9, 11, 3, 40, 2), (6, 5, 3, 8, 1), (1, 1, 2, 32, 2), (16, 16, 3, 32, 2)] {
            var random = SeededRandom(state: UInt64(h * w + cout))
            let input = random.array(h * w * cin, scale: 2), weights = random.array(9 * cin * cout)
            let bias = random.array(cout)
            let oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride
            let padTop = max((oh - 1) * stride + 3 - h, 0) / 2, padLeft = max((ow - 1) * stride + 3 - w, 0) / 2
            var got = [Float](repeating: .nan, count: oh * ow * cout)
            DirectConv3x3.run(inputChannels: cin, outputChannels: cout, input: input,
                              inputLayout: ActivationLayout(height: h, width: w, pixelStride: cin), weights: weights,
                              bias: bias, output: &got,
                              outputLayout: ActivationLayout(height: oh, width: ow, pixelStride: cout),
                              stride: stride, padTop: padTop, padLeft: padLeft, rows: 0..<oh)
            for oy in 0..<oh {
                for ox in 0..<ow {
                    for co in 0..<cout {
                        var acc = Double(bias[co])
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let iy = oy * stride - padTop + ky, ix = ox * stride - padLeft + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                for ci in 0..<cin {
                                    acc += Double(input[(iy * w + ix) * cin + ci])
                                        * Double(weights[((ky * 3 + kx) * cin + ci) * cout + co])
                                }
                            }
                        }
                        XCTAssertEqual(got[(oy * ow + ox) * cout + co], min(max(Float(acc), 0), 6), accuracy: 1e-5)
                    }
                }
            }
        }
    }
}
