import XCTest
@testable import MobileNetKernels

final class PointwiseGEMMTests: XCTestCase {
    func run(m: Int, k: Int, n: Int, activation: Activation) -> (got: [Float], want: [Float]) {
        var random = SeededRandom(state: UInt64(m * 1000 + k * 10 + n))
        let a = random.array(m * k), b = random.array(k * n), bias = random.array(n)
        var packed = [Float](repeating: 0, count: PointwiseGEMM.packedCount(k: k, n: n))
        PointwiseGEMM.packB(b, k: k, n: n, into: &packed)
        var c = [Float](repeating: .nan, count: m * n)
        PointwiseGEMM.run(m: m, k: k, n: n, a: a, lda: k, packedB: packed, bias: bias, c: &c, ldc: n,
                          activation: activation)
        return (c, referenceGEMM(m: m, k: k, n: n, a: a, b: b, bias: bias, relu6: activation == .relu6))
    }

    func testMatchesReferenceOnBlockAndRemainderShapes() {
        for (m, k, n) in [(6, 8, 16), (7, 27, 32), (49, 64, 24), (1, 1024, 1008), (13, 5, 8), (12, 96, 40)] {
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
        var random = SeededRandom(state: 9)
        let a = random.array(m * k), b = random.array(k * n), bias = random.array(n)
        var packed = [Float](repeating: 0, count: k * n)
        PointwiseGEMM.packB(b, k: k, n: n, into: &packed)
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
}
