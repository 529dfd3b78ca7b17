import XCTest
import MobileNet
import MobileNetKernelInterface

/// The depthwise 3x3's training passes (forward, backward to the input,
/// backward to the weights) on every tier, against float64 references, with
/// TensorFlow's SAME padding from SamePadding.
final class DepthwiseTrainingTests: XCTestCase {
    struct Case {
        let h: Int, w: Int, c: Int, stride: Int
        var rows: SamePadding { SamePadding(input: h, stride: stride) }
        var cols: SamePadding { SamePadding(input: w, stride: stride) }
        var oh: Int { rows.output }
        var ow: Int { cols.output }
    }

    static let cases: [Case] = {
        var all: [Case] = []
        for (h, w) in [(7, 5), (9, 12), (1, 1), (2, 3), (4, 4)] {
            for c in [3, 8, 13, 24] {
                for stride in [1, 2] { all.append(Case(h: h, w: w, c: c, stride: stride)) }
            }
        }
        return all
    }()

    /// Calls body(oy, ox, iy, ix, tap) for every in-image tap of every output pixel.
    func forEachTap(_ t: Case, _ body: (Int, Int, Int, Int, Int) -> Void) {
        for oy in 0..<t.oh {
            for ox in 0..<t.ow {
                for ky in 0..<3 {
                    for kx in 0..<3 {
                        let iy = oy * t.stride + ky - t.rows.before, ix = ox * t.stride + kx - t.cols.before
                        guard iy >= 0, iy < t.h, ix >= 0, ix < t.w else { continue }
                        body(oy, ox, iy, ix, ky * 3 + kx)
                    }
                }
            }
        }
    }

    func testSamePaddingIsTensorFlows() {
        // TF: out = ceil(in / s), pad_total = max((out - 1) s + 3 - in, 0), pad_before = pad_total / 2.
        for (input, stride, output, before) in [(7, 2, 4, 1), (8, 2, 4, 0), (9, 2, 5, 1), (12, 2, 6, 0), (1, 2, 1, 1),
                                                (2, 2, 1, 0), (5, 1, 5, 1), (1, 1, 1, 1)] {
            let p = SamePadding(input: input, stride: stride)
            XCTAssertEqual(p.output, output, "in \(input) stride \(stride)")
            XCTAssertEqual(p.before, before, "in \(input) stride \(stride)")
        }
    }

    func testForwardMatchesReference() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for t in Self.cases {
                var random = SeededRandom(state: UInt64(t.h * 1000 + t.w * 100 + t.c * 3 + t.stride))
                let x = random.array(t.h * t.w * t.c, scale: 2), weights = random.array(9 * t.c)
                var want = [Double](repeating: 0, count: t.oh * t.ow * t.c), scale = want
                forEachTap(t) { oy, ox, iy, ix, tap in
                    for ch in 0..<t.c {
                        let v = Double(x[(iy * t.w + ix) * t.c + ch]) * Double(weights[tap * t.c + ch])
                        want[(oy * t.ow + ox) * t.c + ch] += v
                        scale[(oy * t.ow + ox) * t.c + ch] += abs(v)
                    }
                }
                // All rows at once, and rows in uneven pieces: the same bits.
                var whole = [Float](repeating: .nan, count: want.count), pieces = whole
                x.withPointer { xp in
                    weights.withPointer { wp in
                        whole.withMutablePointer { zp in
                            kernels.depthwiseForward(input: xp, inputHeight: t.h, inputWidth: t.w, channels: t.c,
                                                     weights: wp, output: zp, outputWidth: t.ow, stride: t.stride,
                                                     padTop: t.rows.before, padLeft: t.cols.before, rows: 0..<t.oh)
                        }
                        pieces.withMutablePointer { zp in
                            for r in [0..<min(1, t.oh), min(1, t.oh)..<min(3, t.oh), min(3, t.oh)..<t.oh] where !r.isEmpty {
                                kernels.depthwiseForward(input: xp, inputHeight: t.h, inputWidth: t.w, channels: t.c,
                                                         weights: wp, output: zp, outputWidth: t.ow, stride: t.stride,
                                                         padTop: t.rows.before, padLeft: t.cols.before, rows: r)
                            }
                        }
                    }
                }
                let e = worstRelativeError(whole, want, scale)
                worst = max(worst, e)
                XCTAssertLessThan(e, 1e-5, "\(kernels.tier.name) \(t)")
                XCTAssertEqual(whole.map(\.bitPattern), pieces.map(\.bitPattern), "\(kernels.tier.name) \(t)")
            }
        }
        print("depthwise forward: worst relative error \(worst)")
    }

    func testBackwardInputMatchesReference() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for t in Self.cases {
                var random = SeededRandom(state: UInt64(t.h * 1000 + t.w * 100 + t.c * 3 + t.stride) + 7)
                let dz = random.array(t.oh * t.ow * t.c), weights = random.array(9 * t.c)
                var want = [Double](repeating: 0, count: t.h * t.w * t.c), scale = want
                forEachTap(t) { oy, ox, iy, ix, tap in
                    for ch in 0..<t.c {
                        let v = Double(dz[(oy * t.ow + ox) * t.c + ch]) * Double(weights[tap * t.c + ch])
                        want[(iy * t.w + ix) * t.c + ch] += v
                        scale[(iy * t.w + ix) * t.c + ch] += abs(v)
                    }
                }
                var whole = [Float](repeating: .nan, count: want.count), pieces = whole
                dz.withPointer { gp in
                    weights.withPointer { wp in
                        whole.withMutablePointer { dxp in
                            kernels.depthwiseBackwardInput(gradOutput: gp, outputHeight: t.oh, outputWidth: t.ow,
                                                           channels: t.c, weights: wp, gradInput: dxp, inputWidth: t.w,
                                                           stride: t.stride, padTop: t.rows.before,
                                                           padLeft: t.cols.before, rows: 0..<t.h)
                        }
                        pieces.withMutablePointer { dxp in
                            for r in [0..<min(2, t.h), min(2, t.h)..<t.h] where !r.isEmpty {
                                kernels.depthwiseBackwardInput(gradOutput: gp, outputHeight: t.oh, outputWidth: t.ow,
                                                               channels: t.c, weights: wp, gradInput: dxp,
                                                               inputWidth: t.w, stride: t.stride, padTop: t.rows.before,
                                                               padLeft: t.cols.before, rows: r)
                            }
                        }
                    }
                }
                // Input pixels no tap reads (possible at stride 2) get exactly 0.
                let e = worstRelativeError(whole, want, scale.map { $0 == 0 ? 1 : $0 })
                worst = max(worst, e)
                XCTAssertLessThan(e, 1e-5, "\(kernels.tier.name) \(t)")
                XCTAssertEqual(whole.map(\.bitPattern), pieces.map(\.bitPattern), "\(kernels.tier.name) \(t)")
            }
        }
        print("depthwise backward input: worst relative error \(worst)")
    }

    func testBackwardWeightsMatchesReferenceAndAccumulates() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for t in Self.cases {
                var random = SeededRandom(state: UInt64(t.h * 1000 + t.w * 100 + t.c * 3 + t.stride) + 13)
                let x = random.array(t.h * t.w * t.c, scale: 2), dz = random.array(t.oh * t.ow * t.c)
                let start = random.array(9 * t.c)
                var want = start.map(Double.init), scale = start.map { abs(Double($0)) }
                forEachTap(t) { oy, ox, iy, ix, tap in
                    for ch in 0..<t.c {
                        let v = Double(x[(iy * t.w + ix) * t.c + ch]) * Double(dz[(oy * t.ow + ox) * t.c + ch])
                        want[tap * t.c + ch] += v
                        scale[tap * t.c + ch] += abs(v)
                    }
                }
                // `partial` is added to: start from nonzero values, in one call and in row pieces.
                var whole = start, pieces = start
                x.withPointer { xp in
                    dz.withPointer { gp in
                        whole.withMutablePointer { p in
                            kernels.depthwiseBackwardWeights(input: xp, inputHeight: t.h, inputWidth: t.w, channels: t.c,
                                                             gradOutput: gp, outputWidth: t.ow, stride: t.stride,
                                                             padTop: t.rows.before, padLeft: t.cols.before,
                                                             rows: 0..<t.oh, partial: p)
                        }
                        pieces.withMutablePointer { p in
                            for r in [0..<min(1, t.oh), min(1, t.oh)..<t.oh] where !r.isEmpty {
                                kernels.depthwiseBackwardWeights(input: xp, inputHeight: t.h, inputWidth: t.w,
                                                                 channels: t.c, gradOutput: gp, outputWidth: t.ow,
                                                                 stride: t.stride, padTop: t.rows.before,
                                                                 padLeft: t.cols.before, rows: r, partial: p)
                            }
                        }
                    }
                }
                let e = worstRelativeError(whole, want, scale)
                worst = max(worst, e)
                XCTAssertLessThan(e, 1e-5, "\(kernels.tier.name) \(t)")
                XCTAssertEqual(whole.map(\.bitPattern), pieces.map(\.bitPattern), "\(kernels.tier.name) \(t)")
            }
        }
        print("depthwise backward weights: worst relative error \(worst)")
    }
}
