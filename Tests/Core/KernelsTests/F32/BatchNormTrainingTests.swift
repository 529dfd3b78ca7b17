import XCTest
import MobileNet
import MobileNetKernelInterface

/// BatchNorm + ReLU6 training kernels on every tier against float64
/// references: channel sums, the affine + clamp, the backward sums with
/// ReLU6's mask (kept exactly where 0 < y < 6), and the input gradient.
final class BatchNormTrainingTests: XCTestCase {
    static let shapes = [(1, 3), (7, 8), (13, 13), (33, 24), (5, 1), (40, 17)]

    struct Problem {
        let rows: Int, channels: Int
        let z: [Float], scale: [Float], shift: [Float], mean: [Float], invStd: [Float], grad: [Float]

        init(rows: Int, channels: Int, seed: UInt64) {
            self.rows = rows; self.channels = channels
            var random = SeededRandom(state: seed)
            z = random.array(rows * channels, scale: 3)
            scale = random.array(channels, scale: 2)
            shift = random.array(channels).map { $0 * 3 + 2 }  // y spans below 0, (0, 6) and above 6
            mean = random.array(channels, scale: 0.5)
            invStd = random.array(channels).map { 0.5 + abs($0) }
            grad = random.array(rows * channels)
        }

        func y(_ r: Int, _ c: Int) -> Double { Double(z[r * channels + c]) * Double(scale[c]) + Double(shift[c]) }
    }

    func testChannelSums() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for (rows, channels) in Self.shapes {
                let p = Problem(rows: rows, channels: channels, seed: UInt64(rows * 100 + channels))
                var plain = [Float](repeating: .nan, count: channels), squares = plain
                p.z.withPointer { z in
                    plain.withMutablePointer { kernels.channelSums(z, rows: rows, channels: channels, mean: nil, into: $0) }
                    p.mean.withPointer { m in
                        squares.withMutablePointer { kernels.channelSums(z, rows: rows, channels: channels, mean: m, into: $0) }
                    }
                }
                var sum = [Double](repeating: 0, count: channels), sumAbs = sum, sq = sum
                for r in 0..<rows {
                    for c in 0..<channels {
                        let v = Double(p.z[r * channels + c])
                        sum[c] += v; sumAbs[c] += abs(v)
                        let d = Double(Float(v) - p.mean[c])
                        sq[c] += d * d
                    }
                }
                let e1 = worstRelativeError(plain, sum, sumAbs), e2 = worstRelativeError(squares, sq, sq)
                worst = max(worst, e1, e2)
                XCTAssertLessThan(e1, 1e-5, "\(kernels.tier.name) sums \(rows)x\(channels)")
                XCTAssertLessThan(e2, 1e-5, "\(kernels.tier.name) squares \(rows)x\(channels)")
            }
        }
        print("BatchNorm channel sums: worst relative error \(worst)")
    }

    func testApply() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for (rows, channels) in Self.shapes {
                for clamp in [Clamp.relu6, .none] {
                    let p = Problem(rows: rows, channels: channels, seed: UInt64(rows * 100 + channels) + 1)
                    var out = [Float](repeating: .nan, count: rows * channels)
                    p.z.withPointer { z in
                        p.scale.withPointer { s in
                            p.shift.withPointer { b in
                                out.withMutablePointer {
                                    kernels.batchNormApply(z, rows: rows, channels: channels, scale: s, shift: b,
                                                           clamp: clamp, output: $0)
                                }
                            }
                        }
                    }
                    var want: [Double] = [], scale: [Double] = []
                    for r in 0..<rows {
                        for c in 0..<channels {
                            let y = p.y(r, c)
                            want.append(clamp == .relu6 ? min(max(y, 0), 6) : y)
                            scale.append(abs(Double(p.z[r * channels + c]) * Double(p.scale[c])) + abs(Double(p.shift[c])))
                        }
                    }
                    let e = worstRelativeError(out, want, scale)
                    worst = max(worst, e)
                    XCTAssertLessThan(e, 1e-6, "\(kernels.tier.name) \(rows)x\(channels) \(clamp)")
                    if clamp == .relu6 {
                        XCTAssertTrue(out.allSatisfy { $0 >= 0 && $0 <= 6 })
                        XCTAssertTrue(out.contains(0) && out.contains(6) || rows * channels < 20, "the data should reach both clamps")
                    }
                }
            }
        }
        print("BatchNorm apply: worst relative error \(worst)")
    }

    /// y = z * scale + shift is exact here (power-of-two scales, short
    /// dyadic values), so fused and unfused multiply-adds agree and the mask
    /// must be exactly 0 < y < 6: y = 0 and y = 6 are cut, y = 2^-20 and
    /// 6 - 2^-20 kept.
    func testReLU6MaskIsExactlyTheOpenInterval() {
        let ys: [Float] = [-1, -0x1p-20, 0, 0x1p-20, 0.5, 3, 6 - 0x1p-20, 6, 6 + 0x1p-20, 7, -0, 5.75]
        for kernels in testedTrainingKernels {
            for channels in [1, 3, 8, 11, 16] {
                let scales: [Float] = (0..<channels).map { [0.5, 2, 1, 0.25, 4][$0 % 5] }
                let shifts: [Float] = (0..<channels).map { [0, 1, -2, 0.5][$0 % 4] }
                let rows = ys.count
                var z = [Float](repeating: 0, count: rows * channels)
                for r in 0..<rows { for c in 0..<channels { z[r * channels + c] = (ys[(r + c) % rows] - shifts[c]) / scales[c] } }
                for r in 0..<rows { for c in 0..<channels { XCTAssertEqual(z[r * channels + c] * scales[c] + shifts[c], ys[(r + c) % rows]) } }
                var random = SeededRandom(state: UInt64(channels))
                let grad0 = random.array(rows * channels).map { $0 + 2 }  // nonzero everywhere
                var grad = grad0
                let mean = [Float](repeating: 0, count: channels), invStd = [Float](repeating: 1, count: channels)
                var sumDy = [Float](repeating: .nan, count: channels), sumDyXhat = sumDy
                var applied = [Float](repeating: .nan, count: rows * channels)
                z.withPointer { zp in
                    scales.withPointer { s in
                        shifts.withPointer { b in
                            mean.withPointer { m in
                                invStd.withPointer { i in
                                    grad.withMutablePointer { g in
                                        sumDy.withMutablePointer { sd in
                                            sumDyXhat.withMutablePointer { sx in
                                                kernels.batchNormBackwardSums(zp, grad: g, rows: rows, channels: channels,
                                                                              scale: s, shift: b, clamp: .relu6, mean: m,
                                                                              invStd: i, sumDy: sd, sumDyXhat: sx)
                                            }
                                        }
                                    }
                                }
                            }
                            applied.withMutablePointer {
                                kernels.batchNormApply(zp, rows: rows, channels: channels, scale: s, shift: b,
                                                       clamp: .relu6, output: $0)
                            }
                        }
                    }
                }
                for r in 0..<rows {
                    for c in 0..<channels {
                        let y = ys[(r + c) % rows], i = r * channels + c
                        XCTAssertEqual(grad[i], y > 0 && y < 6 ? grad0[i] : 0, "\(kernels.tier.name) y=\(y)")
                        XCTAssertEqual(applied[i], min(max(y, 0), 6), "\(kernels.tier.name) y=\(y)")
                    }
                }
            }
        }
    }

    func testBackwardSumsMatchReference() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for (rows, channels) in Self.shapes {
                let p = Problem(rows: rows, channels: channels, seed: UInt64(rows * 100 + channels) + 2)
                var grad = p.grad
                var sumDy = [Float](repeating: .nan, count: channels), sumDyXhat = sumDy
                p.z.withPointer { zp in
                    p.scale.withPointer { s in
                        p.shift.withPointer { b in
                            p.mean.withPointer { m in
                                p.invStd.withPointer { i in
                                    grad.withMutablePointer { g in
                                        sumDy.withMutablePointer { sd in
                                            sumDyXhat.withMutablePointer { sx in
                                                kernels.batchNormBackwardSums(zp, grad: g, rows: rows, channels: channels,
                                                                              scale: s, shift: b, clamp: .relu6, mean: m,
                                                                              invStd: i, sumDy: sd, sumDyXhat: sx)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                var dy = [Double](repeating: 0, count: rows * channels)
                var sd = [Double](repeating: 0, count: channels), sdAbs = sd, sx = sd, sxAbs = sd
                for r in 0..<rows {
                    for c in 0..<channels {
                        let y = p.y(r, c), i = r * channels + c
                        XCTAssertTrue(abs(y) > 1e-4 && abs(y - 6) > 1e-4, "test data too close to a clamp edge")
                        let g = y > 0 && y < 6 ? Double(p.grad[i]) : 0
                        dy[i] = g
                        let xhat = (Double(p.z[i]) - Double(p.mean[c])) * Double(p.invStd[c])
                        sd[c] += g; sdAbs[c] += abs(g)
                        sx[c] += g * xhat; sxAbs[c] += abs(g * xhat)
                    }
                }
                XCTAssertEqual(grad.map(Double.init), dy, "\(kernels.tier.name) masked dy")
                let e1 = worstRelativeError(sumDy, sd, sdAbs.map { max($0, 1e-30) })
                let e2 = worstRelativeError(sumDyXhat, sx, sxAbs.map { max($0, 1e-30) })
                worst = max(worst, e1, e2)
                XCTAssertLessThan(e1, 1e-5, "\(kernels.tier.name) sum dy \(rows)x\(channels)")
                XCTAssertLessThan(e2, 1e-5, "\(kernels.tier.name) sum dy xhat \(rows)x\(channels)")
            }
        }
        print("BatchNorm backward sums: worst relative error \(worst)")
    }

    func testBackwardInputMatchesReference() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for (rows, channels) in Self.shapes {
                for batchStatistics in [true, false] {
                    let p = Problem(rows: rows, channels: channels, seed: UInt64(rows * 100 + channels) + 3)
                    var random = SeededRandom(state: 99)
                    let gis = random.array(channels, scale: 2), meanDy = random.array(channels, scale: 0.3)
                    let meanDyXhat = random.array(channels, scale: 0.3)
                    var grad = p.grad
                    p.z.withPointer { zp in
                        p.mean.withPointer { m in
                            p.invStd.withPointer { i in
                                gis.withPointer { gp in
                                    meanDy.withPointer { md in
                                        meanDyXhat.withPointer { mx in
                                            grad.withMutablePointer {
                                                kernels.batchNormBackwardInput(zp, grad: $0, rows: rows, channels: channels,
                                                                               mean: m, invStd: i, gammaInvStd: gp,
                                                                               meanDy: md, meanDyXhat: mx,
                                                                               batchStatistics: batchStatistics)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    var want: [Double] = [], scale: [Double] = []
                    for r in 0..<rows {
                        for c in 0..<channels {
                            let i = r * channels + c, g = Double(gis[c]), dy = Double(p.grad[i])
                            if batchStatistics {
                                let xhat = (Double(p.z[i]) - Double(p.mean[c])) * Double(p.invStd[c])
                                let d = dy - Double(meanDy[c]) - xhat * Double(meanDyXhat[c])
                                want.append(g * d)
                                scale.append(abs(g) * (abs(dy) + abs(Double(meanDy[c])) + abs(xhat * Double(meanDyXhat[c]))))
                            } else {
                                want.append(g * dy); scale.append(abs(g * dy))
                            }
                        }
                    }
                    let e = worstRelativeError(grad, want, scale)
                    worst = max(worst, e)
                    XCTAssertLessThan(e, 1e-5, "\(kernels.tier.name) \(rows)x\(channels) batch statistics \(batchStatistics)")
                }
            }
        }
        print("BatchNorm backward input: worst relative error \(worst)")
    }
}
