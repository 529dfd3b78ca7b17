import XCTest
@testable import MobileNet

final class NumberTextTests: XCTestCase {
    func testAcceptsExactlyTheJSONNumberGrammar() {
        for text in ["0", "-0", "1", "16", "0.5", "-0.5", "1e-2", "1E-2", "1.0e+3", "0.001", "224", "1e5"] {
            XCTAssertTrue(NumberText.isJSONNumber(text, integer: false), text)
        }
        for text in ["", "-", "+1", "+0.5", "016", "00.01", ".5", "1.", "1.e-2", "1e", "1e+", "0x10", "0x1p-1",
                     " 1", "1 ", "1\u{0}", "0.01\u{0}junk", "inf", "nan", "NaN", "1_0", "١"] {
            XCTAssertFalse(NumberText.isJSONNumber(text, integer: false), text.debugDescription)
        }
        XCTAssertTrue(NumberText.isJSONNumber("-12", integer: true))
        for text in ["16e0", "16.0", "1e2", "016", "+16", "16 ", "0x10"] {
            XCTAssertFalse(NumberText.isJSONNumber(text, integer: true), text)
        }
    }

    func testDecimalsAreFiniteAndZeroOrNormalFloats() {
        XCTAssertEqual(NumberText.decimal("1E-2"), 0.01)
        XCTAssertEqual(NumberText.decimal("0"), 0)
        XCTAssertEqual(NumberText.decimal("1.2e-38"), 1.2e-38)   // just above float's 2^-126
        XCTAssertNil(NumberText.decimal("1e-40"))                 // subnormal float
        XCTAssertNil(NumberText.decimal("1e-310"))                // subnormal double
        XCTAssertNil(NumberText.decimal("1e400"))                 // infinite
        XCTAssertNil(NumberText.decimal("0.01\u{0}junk"))
        XCTAssertNil(NumberText.decimal("0x1p-1"))
        XCTAssertNil(NumberText.decimal("+0.5"))
    }

    func testIntegers() {
        XCTAssertEqual(NumberText.integer("224"), 224)
        XCTAssertEqual(NumberText.integer("-5"), -5)
        XCTAssertNil(NumberText.integer("016"))
        XCTAssertNil(NumberText.integer("+16"))
        XCTAssertNil(NumberText.integer("16\u{0}"))
        XCTAssertNil(NumberText.integer("99999999999999999999999"))  // beyond Int
    }

    func testQuotedShowsControlCharactersAndIsBounded() {
        XCTAssertEqual(NumberText.quoted("0.01\u{0}x"), "0.01\\u{0}x")
        XCTAssertEqual(NumberText.quoted(String(repeating: "9", count: 100)).count, 43)
    }
}
