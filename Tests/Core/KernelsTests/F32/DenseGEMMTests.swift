import XCTest
import MobileNet
import MobileNetKernelInterface

/// The training GEMM (any sizes, packed B read through strides, accumulation)
/// and the transpose, on every tier, against scalar float64 references.
final class DenseGEMMTests: XCTestCase {
    static let sizes = [1, 5, 7, 17, 33]

    /// B (k x n) stored row-major or transposed (n x k row-major, i.e. read
    /// with rowStride 1, columnStride k), packed with a guard zone after it
    /// that must stay untouched.
    func packB(_ b: [Float], k: Int, n: Int, transposed: Bool, _ kernels: any F32TrainingKernels) -> [Float] {
        var stored = b
        if transposed {
            stored = [Float](repeating: 0, count: k * n)
            for r in 0..<k { for c in 0..<n { stored[c * k + r] = b[r * n + c] } }
        }
        let count = kernels.denseGEMMPackedCount(k: k, n: n)
        var packed = [Float](repeating: -77, count: count + 16)
        stored.withPointer { src in
            packed.withMutablePointer { dst in
                kernels.denseGEMMPackB(src, rowStride: transposed ? 1 : n, columnStride: transposed ? k : 1,
                                       k: k, n: n, into: dst)
            }
        }
        XCTAssertTrue(packed[count...].allSatisfy { $0 == -77 }, "packB wrote past denseGEMMPackedCount")
        return Array(packed[..<count])
    }

    func testMatchesFloat64ReferenceOnOddSizes() {
        var worst = 0.0
        for kernels in testedTrainingKernels {
            for m in Self.sizes {
                for k in Self.sizes {
                    for n in Self.sizes {
                        for (transposed, accumulate) in [(false, false), (true, true), (true, false), (false, true)] {
                            var random = SeededRandom(state: UInt64(m * 10_000 + k * 100 + n))
                            // Strides wider than the matrices: the kernel must keep to m x k of A and m x n of C.
                            let lda = k + 3, ldc = n + 2
                            let a = random.array(m * lda), b = random.array(k * n), c0 = random.array(m * ldc)
                            let packed = packB(b, k: k, n: n, transposed: transposed, kernels)
                            var c = c0
                            a.withPointer { ap in
                                packed.withPointer { bp in
                                    c.withMutablePointer { cp in
                                        kernels.denseGEMM(m: m, k: k, n: n, a: ap, lda: lda, packedB: bp, c: cp, ldc: ldc,
                                                          accumulate: accumulate)
                                    }
                                }
                            }
                            var got: [Float] = [], want: [Double] = [], scale: [Double] = []
                            for i in 0..<m {
                                for j in 0..<n {
                                    var acc = accumulate ? Double(c0[i * ldc + j]) : 0
                                    var mag = abs(acc)
                                    for p in 0..<k {
                                        let t = Double(a[i * lda + p]) * Double(b[p * n + j])
                                        acc += t; mag += abs(t)
                                    }
                                    got.append(c[i * ldc + j]); want.append(acc); scale.append(mag)
                                }
                                for j in n..<ldc {
                                    XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], "wrote past n")
                                }
                            }
                            let e = worstRelativeError(got, want, scale)
                            worst = max(worst, e)
                            XCTAssertLessThan(e, 1e-5, "\(kernels.tier.name) m=\(m) k=\(k) n=\(n) transposed=\(transposed) accumulate=\(accumulate)")
                        }
                    }
                }
            }
        }
        print("DenseGEMM: worst error relative to sum |a b| = \(worst)")
    }

    func testTransposedPackingEqualsRowMajorPacking() {
        for kernels in testedTrainingKernels {
            for (k, n) in [(1, 1), (5, 17), (33, 7), (17, 33), (40, 16)] {
                var random = SeededRandom(state: UInt64(k * 100 + n))
                let b = random.array(k * n)
                XCTAssertEqual(packB(b, k: k, n: n, transposed: false, kernels),
                               packB(b, k: k, n: n, transposed: true, kernels), "\(kernels.tier.name) k=\(k) n=\(n)")
            }
        }
    }

    func testRowSplitsGiveIdenticalBits() {
        for kernels in testedTrainingKernels {
            for accumulate in [false, true] {
                let m = 33, k = 17, n = 33
                var random = SeededRandom(state: 42)
                let a = random.array(m * k), b = random.array(k * n), c0 = random.array(m * n)
                let packed = packB(b, k: k, n: n, transposed: false, kernels)
                var whole = c0, split = c0
                a.withPointer { ap in
                    packed.withPointer { bp in
                        whole.withMutablePointer { cp in
                            kernels.denseGEMM(m: m, k: k, n: n, a: ap, lda: k, packedB: bp, c: cp, ldc: n,
                                              accumulate: accumulate)
                        }
                        split.withMutablePointer { cp in
                            for r in [0..<5, 5..<6, 6..<13, 13..<14, 14..<33] {
                                kernels.denseGEMM(m: r.count, k: k, n: n, a: ap + r.lowerBound * k, lda: k, packedB: bp,
                                                  c: cp + r.lowerBound * n, ldc: n, accumulate: accumulate)
                            }
                        }
                    }
                }
                XCTAssertEqual(whole.map(\.bitPattern), split.map(\.bitPattern), "\(kernels.tier.name) accumulate=\(accumulate)")
            }
        }
    }

    func testTransposeIsExactAndStaysInBounds() {
        for kernels in testedTrainingKernels {
            for (rows, columns) in [(1, 1), (1, 9), (9, 1), (7, 5), (8, 8), (17, 33), (33, 17)] {
                var random = SeededRandom(state: UInt64(rows * 100 + columns))
                let lds = columns + 3, ldd = rows + 5
                let src = random.array(rows * lds)
                var dst = [Float](repeating: -9, count: columns * ldd)
                src.withPointer { s in
                    dst.withMutablePointer { d in
                        kernels.transpose(rows: rows, columns: columns, s, lds: lds, d, ldd: ldd)
                    }
                }
                for c in 0..<columns {
                    for r in 0..<ldd {
                        let want: Float = r < rows ? src[r * lds + c] : -9
                        XCTAssertEqual(dst[c * ldd + r], want, "\(kernels.tier.name) \(rows)x\(columns) at (\(c), \(r))")
                    }
                }
            }
        }
    }
}
