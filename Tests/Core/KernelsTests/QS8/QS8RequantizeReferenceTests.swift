import XCTest
import MobileNetKernelInterface

/// requantizeReference (the contract every tier's vector code matches)
/// against a literal transcription of TFLite's reference arithmetic
/// (gemmlowp fixedpoint.h, as tensorflow/lite/kernels/internal/common.h uses it).
final class QS8RequantizeReferenceTests: XCTestCase {
    /// gemmlowp SaturatingRoundingDoublingHighMul, line by line.
    func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        let overflow = a == b && a == Int32.min
        let ab64 = Int64(a) * Int64(b)
        let nudge: Int32 = ab64 >= 0 ? (1 << 30) : (1 - (1 << 30))
        let abX2High32 = Int32(truncatingIfNeeded: (ab64 + Int64(nudge)) / (Int64(1) << 31))  // C truncates
        return overflow ? Int32.max : abX2High32
    }

    /// gemmlowp RoundingDivideByPOT, line by line.
    func roundingDivideByPOT(_ x: Int32, _ exponent: Int32) -> Int32 {
        let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
        let zero: Int32 = 0, one: Int32 = 1
        let remainder = x & mask
        let threshold = (mask >> 1) + ((x < zero) ? one : zero)
        return (x >> exponent) + ((remainder > threshold) ? one : zero)
    }

    /// TFLite MultiplyByQuantizedMultiplier (the reference, double-rounding
    /// form); x * (1 << left) is done wrapping, what the C code compiles to.
    func multiplyByQuantizedMultiplier(_ x: Int32, _ multiplier: Int32, _ shift: Int32) -> Int32 {
        let leftShift = shift > 0 ? shift : 0
        let rightShift = shift > 0 ? 0 : -shift
        return roundingDivideByPOT(saturatingRoundingDoublingHighMul(x &* (Int32(1) << leftShift), multiplier),
                                   rightShift)
    }

    func testEdgeValuesMatchTFLite() {
        let accumulators: [Int32] = [0, 1, -1, 2, -2, 3, -3, 5, -5, 1 << 30, -(1 << 30), Int32.max, Int32.min,
                                     Int32.max - 1, Int32.min + 1, 65_535, -65_536, 123_456_789, -987_654_321]
        let multipliers: [Int32] = [0, 1, 2, 3, 1 << 30, (1 << 30) + 1, (1 << 30) - 1, Int32.max, Int32.max - 1,
                                    1_518_500_250, 1 << 29]
        let shifts: [Int32] = [-31, -30, -16, -2, -1, 0, 1, 2, 15, 29, 30]
        for acc in accumulators {
            for multiplier in multipliers {
                for shift in shifts {
                    XCTAssertEqual(requantizeReference(acc, multiplier: multiplier, shift: shift),
                                   multiplyByQuantizedMultiplier(acc, multiplier, shift),
                                   "acc \(acc) multiplier \(multiplier) shift \(shift)")
                }
            }
        }
    }

    /// Products that land exactly on the rounding ties of both steps: the
    /// high multiply rounds ties up (-3.5 -> -3: TFLite's nudge 1 - 2^30 and
    /// truncating division), the right shift rounds them away from zero.
    func testTies() {
        // multiplier 2^30 halves: x * 2^30 * 2 / 2^32 = x / 2, a tie for every odd x.
        for x: Int32 in [-7, -5, -3, -1, 1, 3, 5, 7] {
            XCTAssertEqual(requantizeReference(x, multiplier: 1 << 30, shift: 0),
                           multiplyByQuantizedMultiplier(x, 1 << 30, 0))
            XCTAssertEqual(requantizeReference(x, multiplier: 1 << 30, shift: 0), (x + 1) / 2)
            // RoundingDivideByPOT ties: the high multiply gives x exactly (2x halved), then x / 2^1.
            XCTAssertEqual(requantizeReference(x &* 2, multiplier: 1 << 30, shift: -1),
                           multiplyByQuantizedMultiplier(x &* 2, 1 << 30, -1))
            XCTAssertEqual(requantizeReference(x &* 2, multiplier: 1 << 30, shift: -1), x > 0 ? (x + 1) / 2 : (x - 1) / 2)
        }
    }

    func testRandomValuesMatchTFLite() {
        var random = QRandom(state: 42)
        for _ in 0..<200_000 {
            let acc = Int32(truncatingIfNeeded: random.next())
            let multiplier = Int32(random.int(0...Int(Int32.max)))
            let shift = Int32(random.int(-31...30))
            XCTAssertEqual(requantizeReference(acc, multiplier: multiplier, shift: shift),
                           multiplyByQuantizedMultiplier(acc, multiplier, shift),
                           "acc \(acc) multiplier \(multiplier) shift \(shift)")
        }
    }

    /// The test target's QuantizeMultiplier on known values.
    func testQuantizeMultiplier() {
        XCTAssertEqual(quantizeMultiplier(0.5).multiplier, 1 << 30)
        XCTAssertEqual(quantizeMultiplier(0.5).shift, 0)
        XCTAssertEqual(quantizeMultiplier(1).multiplier, 1 << 30)
        XCTAssertEqual(quantizeMultiplier(1).shift, 1)
        XCTAssertEqual(quantizeMultiplier(4).shift, 3)
        // Rounds up to 2^31: halved, shift + 1.
        XCTAssertEqual(quantizeMultiplier(0x1.fffffffffp-1).multiplier, 1 << 30)
        XCTAssertEqual(quantizeMultiplier(0x1.fffffffffp-1).shift, 1)
        XCTAssertEqual(quantizeMultiplier(0x1p-31).shift, -30)
        XCTAssertEqual(quantizeMultiplier(0x1p-32).shift, -31)
        XCTAssertEqual(quantizeMultiplier(0x1p-33).multiplier, 0)
        XCTAssertEqual(quantizeMultiplier(0x1p-33).shift, 0)
    }
}
