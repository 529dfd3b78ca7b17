import XCTest
import MobileNetKernelInterface

/// The 8-bit depthwise 3x3 of every tier, bit for bit against a scalar reference.
final class QS8Depthwise3x3Tests: XCTestCase {
    static let sentinel: Int16 = 0x7A7A

    func check(h: Int, w: Int, c: Int, stride: Int, tfPadding: Bool, rowsSubrange: Bool, mode: ScaleMode,
               values range: ClosedRange<Int>, seed: UInt64, _ kernels: any QS8Kernels) {
        var random = QRandom(state: seed)
        let (oh, padTop) = samePadding(input: h, stride: stride, tfStyle: tfPadding)
        let (ow, padLeft) = samePadding(input: w, stride: stride, tfStyle: tfPadding)
        // Pixel strides past the channels, different for input and output.
        let inPS = c + 8, outPS = c + 16
        let input = random.int16s(h * w * inPS, range)
        let weights = (0..<9 * c).map { _ in Int32(random.int(range)) }
        var packed = [Int32](repeating: 0x5A5A5A5A, count: kernels.qdepthwisePackedCount(channels: c))
        packed.withUnsafeMutableBufferPointer { kernels.qdepthwisePack(weights, channels: c, into: $0.baseAddress!) }
        let params = QuantParameters(n: c, k: 9, mode: mode, random: &random)
        let rows = rowsSubrange && oh > 2 ? 1..<(oh - 1) : 0..<oh
        var out = [Int16](repeating: Self.sentinel, count: oh * ow * outPS)
        params.withRequantization { r in
            out.withUnsafeMutableBufferPointer { o in
                kernels.qdepthwise3x3(stride: stride, channels: c, input: input,
                                      inputLayout: ActivationLayout(height: h, width: w, pixelStride: inPS),
                                      weights: packed, requantization: r, output: o.baseAddress!,
                                      outputLayout: ActivationLayout(height: oh, width: ow, pixelStride: outPS),
                                      padTop: padTop, padLeft: padLeft, rows: rows)
            }
        }
        var mismatches = 0
        for y in 0..<oh {
            for x in 0..<ow {
                for ch in 0..<outPS {
                    var want = Self.sentinel
                    if rows.contains(y) && ch < c {
                        var acc: Int32 = 0
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let iy = y * stride - padTop + ky, ix = x * stride - padLeft + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                acc += Int32(input[(iy * w + ix) * inPS + ch]) * weights[(ky * 3 + kx) * c + ch]
                            }
                        }
                        want = params.output(acc, channel: ch)
                    }
                    let got = out[(y * ow + x) * outPS + ch]
                    if got != want {
                        if mismatches < 5 {
                            XCTFail("\(kernels.tier.name) \(h)x\(w)x\(c) stride \(stride) tf \(tfPadding) \(mode) out[\(y), \(x), \(ch)] = \(got), want \(want)")
                        }
                        mismatches += 1
                    }
                }
            }
        }
    }

    func testMatchesReferenceOnSizesStridesAndPaddings() {
        for kernels in testedQS8Kernels {
            for (index, (h, w, c)) in [(1, 1, 8), (2, 3, 8), (7, 7, 16), (15, 13, 24), (112, 112, 32), (6, 4, 1024),
                                                  (5, 6, 40), (9, 9, 56), (3, 14, 96)].enumerated() {
                for stride in [1, 2] {
                    for tfPadding in [true, false] {
                        for (modeIndex, mode) in ScaleMode.allCases.enumerated() {
                            // The large image once per stride and padding: it is the costly one.
                            if h == 112 && mode != .typical { continue }
                            let seed = UInt64(index * 100 + stride * 10 + modeIndex + (tfPadding ? 0 : 50))
                            check(h: h, w: w, c: c, stride: stride, tfPadding: tfPadding, rowsSubrange: modeIndex == 1,
                                  mode: mode, values: modeIndex == 2 ? -128...127 : -255...255, seed: seed, kernels)
                        }
                    }
                }
            }
        }
    }

    func testRowsSubrangeWritesOnlyThoseRows() {
        for kernels in testedQS8Kernels {
            for stride in [1, 2] {
                check(h: 15, w: 13, c: 24, stride: stride, tfPadding: true, rowsSubrange: true, mode: .typical,
                      values: -255...255, seed: UInt64(stride), kernels)
            }
        }
    }
}
