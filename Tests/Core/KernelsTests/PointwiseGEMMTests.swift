import XCTest
@testable import MobileNetKernels

final class PointwiseGEMMTests: XCTestCase {
    /// Random A (m x k), B (k x n) and its packed panels, and a bias.
    struct Problem {
        let a: [Float], b: [Float], packed: [Float], bias: [Float]
        init(m: Int, k: Int, n: Int, seed: UInt64) {
            var random = SeededRandom(state: seed)
            a = random.array(m * k)
            b = random.array(k * n)
            bias = random.array(n)
            var packed = [Float](repeating: 0, count: PointwiseGEMM.packedCount(k: k, n: n))
            PointwiseGEMM.packB(b, k: k, n: n, into: &packed)
            self.packed = packed
        }
    }

    func run(m: Int, k: Int, n: Int, activation: Activation) -> (got: [Float], want: [Float]) {
        let problem = Problem(m: m, k: k, n: n, seed: UInt64(m * 1000 + k * 10 + n))
        let (a, b, packed, bias) = (problem.a, problem.b, problem.packed, problem.bias)
        var c = [Float](repeating: .nan, count: m * n)
        PointwiseGEMM.run(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &c, ldc: n,
                          activation: activation)
        return (c, referenceGEMM(m: m, k: k, n: n, a: a, b: b, bias: bias, relu6: activation == .relu6))
    }

    func testMatchesReferenceOnBlockAndRemainderShapes() {
        // Row remainders 0-5 after 6-row blocks (2-5 take the 6-row kernel with
        // spare rows, 1 the single-row path), 16- and 8-wide last panels, and
        // single rows over 4-panel groups plus leftovers.
        for (m, k, n) in [(6, 8, 16), (7, 27, 32), (49, 64, 24), (1, 1024, 1008), (13, 5, 8), (12, 96, 40),
                          (2, 33, 24), (3, 17, 16), (10, 40, 72), (17, 9, 56), (196, 64, 40), (1, 40, 72),
                          (1, 3, 8), (5, 128, 136)] {
            for activation in [Activation.none, .relu6] {
                let (got, want) = run(m: m, k: k, n: n, activation: activation)
                XCTAssertLessThan(maxAbsDifference(got, want), 1e-4 * Float(k).squareRoot(), "m=\(m) k=\(k) n=\(n)")
            }
        }
    }

    func testReLU6ClampsBothEnds() {
        let (got, _) = run(m: 12, k: 64, n: 16, activation: .relu6)
        XCTAssertTrue(got.allSatisfy { $0 >= 0 && $0 <= 6 })
        let (raw, _) = run(m: 12, k: 64, n: 16, activation: .none)
        XCTAssertTrue(raw.contains { $0 < 0 }, "the test data should exercise the lower clamp")
    }

    func testRowPartitionDoesNotChangeBits() {
        let m = 50, k = 40, n = 24
        let problem = Problem(m: m, k: k, n: n, seed: 9)
        let (a, packed, bias) = (problem.a, problem.packed, problem.bias)
        var whole = [Float](repeating: 0, count: m * n), split = whole
        PointwiseGEMM.run(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &whole, ldc: n,
                          activation: .none)
        a.withUnsafeBufferPointer { ap in
            split.withUnsafeMutableBufferPointer { cp in
                for (lo, hi) in [(0, 18), (18, 19), (19, 50)] {
                    PointwiseGEMM.run(m: hi - lo, k: k, n: n, a: ap.baseAddress! + lo * k, lda: k, packedB: packed,
                                      bias: bias, c: cp.baseAddress! + lo * n, ldc: n, activation: .none)
                }
            }
        }
        XCTAssertEqual(whole, split)
    }

    func testColumnPanelPartitionDoesNotChangeBits() {
        // m % 6 == 1: the last row goes through the single-row path, which must
        // give the same bits for any split of the panels.
        for m in [1, 13, 49] {
            let k = 37, n = 136
            let problem = Problem(m: m, k: k, n: n, seed: UInt64(m))
            let (a, packed, bias) = (problem.a, problem.packed, problem.bias)
            var whole = [Float](repeating: 0, count: m * n), split = whole
            PointwiseGEMM.run(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &whole, ldc: n,
                              activation: .relu6)
            for panels in [0..<1, 1..<6, 6..<9] {
                PointwiseGEMM.run(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &split, ldc: n,
                                  activation: .relu6, panels: panels)
            }
            XCTAssertEqual(whole, split, "m=\(m)")
        }
    }

    func testRowsAfterTheLastDoNotChange() {
        // The 6-row kernel on 2-5 leftover rows reads the last row again for its
        // spare rows and must not store them: C's rows beyond m stay untouched.
        let m = 10, k = 16, n = 32, ldc = 32
        let problem = Problem(m: m + 2, k: k, n: n, seed: 3)
        let (a, packed, bias) = (problem.a, problem.packed, problem.bias)
        var c = [Float](repeating: 42, count: (m + 2) * ldc)
        PointwiseGEMM.run(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &c, ldc: ldc,
                          activation: .none)
        XCTAssertTrue(c[(m * ldc)...].allSatisfy { $0 == 42 })
        XCTAssertFalse(c[..<(m * ldc)].contains(42))
    }
}
