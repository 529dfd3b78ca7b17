import XCTest
import MobileNet
import MobileNetKernelInterface

/// The GEMM of every tier this machine runs, against a scalar reference.
final class GEMMTests: XCTestCase {
    /// Random A (m x k), B (k x n) and its packed panels, and a bias.
    struct Problem {
        let a: [Float], b: [Float], packed: [Float], bias: [Float]
        init(m: Int, k: Int, n: Int, seed: UInt64, kernels: any F32Kernels) {
            var random = SeededRandom(state: seed)
            a = random.array(m * k)
            b = random.array(k * n)
            bias = random.array(n)
            packed = pack(b, k: k, n: n, kernels)
        }
    }

    func run(m: Int, k: Int, n: Int, clamp: Clamp, _ kernels: any F32Kernels) -> (got: [Float], want: [Float]) {
        let problem = Problem(m: m, k: k, n: n, seed: UInt64(m * 1000 + k * 10 + n), kernels: kernels)
        let (a, b, packed, bias) = (problem.a, problem.b, problem.packed, problem.bias)
        var c = [Float](repeating: .nan, count: m * n)
        kernels.gemm(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &c, ldc: n,
                          clamp: clamp, panels: nil)
        return (c, referenceGEMM(m: m, k: k, n: n, a: a, b: b, bias: bias, relu6: clamp == .relu6))
    }

    func testMatchesReferenceOnBlockAndRemainderShapes() {
        for kernels in testedKernels {
            // Row remainders 0-5 after 6-row blocks (2-5 take the 6-row kernel with
            // spare rows, 1 the single-row path), 16- and 8-wide last panels, and
            // single rows over 4-panel groups plus leftovers.
            for (m, k, n) in [(6, 8, 16), (7, 27, 32), (49, 64, 24), (1, 1024, 1008), (13, 5, 8), (12, 96, 40),
                              (2, 33, 24), (3, 17, 16), (10, 40, 72), (17, 9, 56), (196, 64, 40), (1, 40, 72),
                              (1, 3, 8), (5, 128, 136)] {
                for clamp in [Clamp.none, .relu6] {
                    let (got, want) = run(m: m, k: k, n: n, clamp: clamp, kernels)
                    XCTAssertLessThan(maxAbsDifference(got, want), 1e-4 * Float(k).squareRoot(), "\(kernels.tier.name) m=\(m) k=\(k) n=\(n)")
                }
            }
        }
    }

    func testReLU6ClampsBothEnds() {
        for kernels in testedKernels {
            let (got, _) = run(m: 12, k: 64, n: 16, clamp: .relu6, kernels)
            XCTAssertTrue(got.allSatisfy { $0 >= 0 && $0 <= 6 })
            let (raw, _) = run(m: 12, k: 64, n: 16, clamp: .none, kernels)
            XCTAssertTrue(raw.contains { $0 < 0 }, "the test data should exercise the lower clamp")
        }
    }

    func testRowPartitionDoesNotChangeBits() {
        for kernels in testedKernels {
            let m = 50, k = 40, n = 24
            let problem = Problem(m: m, k: k, n: n, seed: 9, kernels: kernels)
            let (a, packed, bias) = (problem.a, problem.packed, problem.bias)
            var whole = [Float](repeating: 0, count: m * n), split = whole
            kernels.gemm(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &whole, ldc: n,
                              clamp: .none, panels: nil)
            a.withUnsafeBufferPointer { ap in
                split.withUnsafeMutableBufferPointer { cp in
                    for (lo, hi) in [(0, 18), (18, 19), (19, 50)] {
                        kernels.gemm(m: hi - lo, k: k, n: n, a: ap.baseAddress! + lo * k, lda: k, packedB: packed,
                                          bias: bias, c: cp.baseAddress! + lo * n, ldc: n, clamp: .none, panels: nil)
                    }
                }
            }
            XCTAssertEqual(whole, split)
        }
    }

    func testColumnPanelPartitionDoesNotChangeBits() {
        for kernels in testedKernels {
            // m % 6 == 1: the last row goes through the single-row path, which must
            // give the same bits for any split of the panels.
            for m in [1, 13, 49] {
                let k = 37, n = 136
                let problem = Problem(m: m, k: k, n: n, seed: UInt64(m), kernels: kernels)
                let (a, packed, bias) = (problem.a, problem.packed, problem.bias)
                var whole = [Float](repeating: 0, count: m * n), split = whole
                kernels.gemm(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &whole, ldc: n,
                                  clamp: .relu6, panels: nil)
                // Three splits of this tier's panels (9 of 16 columns, 5 of 32).
                let count = kernels.gemmPanelCount(n: n)
                for panels in [0..<1, 1..<(count / 2 + 1), (count / 2 + 1)..<count] {
                    kernels.gemm(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &split, ldc: n,
                                      clamp: .relu6, panels: panels)
                }
                XCTAssertEqual(whole, split, "m=\(m)")
            }
        }
    }

    func testRowsAfterTheLastDoNotChange() {
        for kernels in testedKernels {
            // The 6-row kernel on 2-5 leftover rows reads the last row again for its
            // spare rows and must not store them: C's rows beyond m stay untouched.
            let m = 10, k = 16, n = 32, ldc = 32
            let problem = Problem(m: m + 2, k: k, n: n, seed: 3, kernels: kernels)
            let (a, packed, bias) = (problem.a, problem.packed, problem.bias)
            var c = [Float](repeating: 42, count: (m + 2) * ldc)
            kernels.gemm(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &c, ldc: ldc,
                              clamp: .none, panels: nil)
            XCTAssertTrue(c[(m * ldc)...].allSatisfy { $0 == 42 })
            XCTAssertFalse(c[..<(m * ldc)].contains(42))
        }
    }
}
