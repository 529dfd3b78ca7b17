import XCTest
import MobileNetKernelInterface

final class QS8Im2col3x3Tests: XCTestCase {
    func testMatchesReference() {
        for kernels in testedQS8Kernels {
            for (h, w, c, stride, rowLength) in [(224, 224, 3, 2, 32), (7, 5, 3, 1, 27), (9, 8, 8, 2, 80), (1, 1, 3, 1, 32),
                                                 (224, 224, 4, 2, 40), (7, 5, 4, 1, 40), (2, 3, 4, 1, 40),
                                                 (1, 1, 4, 2, 40), (6, 6, 4, 2, 36)] {
                for tfPadding in [true, false] {
                    var random = QRandom(state: UInt64(h + w + c + stride))
                    let ps = (c + 7) / 8 * 8
                    let input = random.int16s(h * w * ps, -255...255)
                    let (oh, padTop) = samePadding(input: h, stride: stride, tfStyle: tfPadding)
                    let (ow, padLeft) = samePadding(input: w, stride: stride, tfStyle: tfPadding)
                    for oy in Set([0, oh / 2, oh - 1]) {
                        var got = [Int16](repeating: 0x7A7A, count: ow * rowLength + 8)
                        kernels.qim2col3x3Row(input: input, layout: ActivationLayout(height: h, width: w, pixelStride: ps),
                                              channels: c, oy: oy, outputWidth: ow, stride: stride, padTop: padTop,
                                              padLeft: padLeft, rowLength: rowLength, into: &got)
                        var want = [Int16](repeating: 0, count: ow * rowLength)
                        for ox in 0..<ow {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let iy = oy * stride - padTop + ky, ix = ox * stride - padLeft + kx
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    for ch in 0..<c {
                                        want[ox * rowLength + (ky * 3 + kx) * c + ch] = input[(iy * w + ix) * ps + ch]
                                    }
                                }
                            }
                        }
                        want += [Int16](repeating: 0x7A7A, count: 8)
                        XCTAssertEqual(got, want, "\(kernels.tier.name) \(h)x\(w)x\(c) stride \(stride) oy \(oy)")
                    }
                }
            }
        }
    }
}
