import XCTest
@testable import MobileNetKernels

final class Im2col3x3Tests: XCTestCase {
    /// A full 3x3 convolution as im2col rows times packed weights equals the
    /// direct sum over taps and channels.
    func testConvolutionThroughIm2colMatchesDirectSum() {
        let h = 7, w = 6, cin = 3, cout = 8, stride = 2
        var random = SeededRandom(state: 3)
        let input = random.array(h * w * cin), weights = random.array(9 * cin * cout), bias = random.array(cout)
        let oh = (h + 1) / 2, ow = (w + 1) / 2
        let padTop = max((oh - 1) * stride + 3 - h, 0) / 2, padLeft = max((ow - 1) * stride + 3 - w, 0) / 2
        var packed = [Float](repeating: 0, count: 9 * cin * cout)
        PointwiseGEMM.packB(weights, k: 9 * cin, n: cout, into: &packed)
        var row = [Float](repeating: 0, count: ow * 9 * cin)
        var got = [Float](repeating: 0, count: oh * ow * cout)
        for oy in 0..<oh {
            Im2col3x3.row(input: input, layout: ActivationLayout(height: h, width: w, pixelStride: cin), channels: cin,
                          oy: oy, outputWidth: ow, stride: stride, padTop: padTop, padLeft: padLeft, into: &row)
            got.withUnsafeMutableBufferPointer { out in
                PointwiseGEMM.run(m: ow, k: 9 * cin, n: cout, a: row, lda: 9 * cin, packedB: packed, bias: bias,
                                  c: out.baseAddress! + oy * ow * cout, ldc: cout, activation: .none)
            }
        }
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
                    XCTAssertEqual(got[(oy * ow + ox) * cout + co], Float(acc), accuracy: 1e-5)
                }
            }
        }
    }
}
