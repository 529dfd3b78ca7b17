import XCTest
@testable import MobileNet

final class JSONParserTests: XCTestCase {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text, context: "test") }

    func testParsesEveryKind() throws {
        let value = try parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}} "#)
        XCTAssertEqual(value["a"], .array([.number(1, text: "1"), .number(-2500, text: "-2.5e3"), .bool(true),
                                           .bool(false), .null]))
        XCTAssertEqual(value["b"]?["c"], .string("x\"\\/\u{8}\u{c}\n\r\té😀"))
    }

    func testRejectsMalformedDocuments() {
        let bad = ["", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "01", "1.", "-", "1e", "tru", "\"abc", "\"\\x\"",
                   "\"\\ud800\"", "\"\\udc00\"", "\"a\u{1}\"", "{\"a\":1} x", "{\"a\":1,\"a\":2}", "[1 2]", "nul"]
        for text in bad {
            XCTAssertThrowsError(try parse(text), "accepted \(text.debugDescription)") { error in
                XCTAssertEqual((error as? MobileNetError)?.kind, .format)
            }
        }
    }

    func testBoundsNestingDepth() {
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 60) + String(repeating: "]", count: 60)))
        XCTAssertThrowsError(try parse(String(repeating: "[", count: 100_000)))
    }

    func testRejectsInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xFF, 0xFE, 0x22]
        XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try JSONParser.parse($0, context: "test") })
    }
}
