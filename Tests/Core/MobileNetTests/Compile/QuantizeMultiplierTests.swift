import XCTest
@testable import MobileNet

/// QuantizeMultiplier as TFLite's: frexp, round(q * 2^31), the 2^31 carry,
/// and multipliers below about 2^-31 flushed to 0 (Conv2d_0's dead filters
/// have scales down to 5e-8).
final class QuantizeMultiplierTests: XCTestCase {
    func testMatchesTFLite() {
        XCTAssertTrue(QuantizeMultiplier.of(0.5) == (1 << 30, 0))
        XCTAssertTrue(QuantizeMultiplier.of(0.75) == (Int32(0.75 * Double(1 << 31)), 0))
        XCTAssertTrue(QuantizeMultiplier.of(1) == (1 << 30, 1))
        XCTAssertTrue(QuantizeMultiplier.of(0.25) == (1 << 30, -1))
        // Just below 1: q * 2^31 rounds up to 2^31, halved with the shift raised.
        XCTAssertTrue(QuantizeMultiplier.of(1 - 1e-12) == (1 << 30, 1))
        XCTAssertTrue(QuantizeMultiplier.of(0) == (0, 0))
        XCTAssertTrue(QuantizeMultiplier.of(-1) == (0, 0))
        let tiny = QuantizeMultiplier.of(5e-8 * 0.0078 / 0.02)  // about 2^-26
        XCTAssertEqual(tiny.shift, -25)
        XCTAssertGreaterThan(tiny.multiplier, 1 << 30)
        XCTAssertTrue(QuantizeMultiplier.of(pow(2, -33)) == (0, 0))
        // Reconstructs the real value within the Q31 rounding.
        for real in [1e-9, 3.3e-5, 0.0123, 0.49999, 0.9999, 1.7, 123.4] {
            let (m, s) = QuantizeMultiplier.of(real)
            let back = Double(m) / Double(1 << 31) * pow(2, Double(s))
            XCTAssertEqual(back, real, accuracy: real * 1e-9)
        }
    }
}
