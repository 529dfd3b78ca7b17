import XCTest
@testable import MobileNet

final class JSONLimitsTests: XCTestCase {
    func testValueCountIsBounded() throws {
        let atLimit = "[" + Array(repeating: "0", count: JSONParser.maxValues - 1).joined(separator: ",") + "]"
        XCTAssertNoThrow(try JSONParser.parse(atLimit, context: "test"))
        let over = "[" + Array(repeating: "0", count: JSONParser.maxValues).joined(separator: ",") + "]"
        XCTAssertThrowsError(try JSONParser.parse(over, context: "test")) { error in
            XCTAssertEqual((error as? MobileNetError)?.kind, .format)
            XCTAssertTrue((error as? MobileNetError)?.message.contains("more than") ?? false)
        }
    }

    /// 100,000 labels (Architecture.maxClasses) fit under the bound.
    func testLargestLabelsArrayFits() throws {
        let labels = "[" + (0..<Architecture.maxClasses).map { "\"class \($0)\"" }.joined(separator: ",") + "]"
        guard case let .array(items) = try JSONParser.parse(labels, context: "labels") else {
            return XCTFail("not an array")
        }
        XCTAssertEqual(items.count, Architecture.maxClasses)
    }

    /// The 64 MiB `[0,0,...]` header of issue 10 (4.5 s and 1.15 GB before
    /// the bound): rejected by the value bound, long before the end of the
    /// input (a wall-clock bound here failed under ThreadSanitizer at 1.001 s;
    /// the time is measured in tests/c/test_memory.c on a normal build).
    func testHugeArrayRejectedQuickly() {
        var bytes = [UInt8](repeating: UInt8(ascii: ","), count: 64 << 20)
        for i in stride(from: 1, to: bytes.count, by: 2) { bytes[i] = UInt8(ascii: "0") }
        bytes[0] = UInt8(ascii: "[")
        bytes[bytes.count - 1] = UInt8(ascii: "]")
        XCTAssertThrowsError(try bytes.withUnsafeBufferPointer { try JSONParser.parse($0, context: "header") }) {
            XCTAssertTrue(String(describing: $0).contains("more than \(JSONParser.maxValues) values"), "\($0)")
        }
    }

    func testStringsWithAndWithoutEscapes() throws {
        XCTAssertEqual(try JSONParser.parse(#""plain é""#, context: "t"), .string("plain é"))
        XCTAssertEqual(try JSONParser.parse(#""a\nb\u00e9""#, context: "t"), .string("a\nbé"))
        XCTAssertThrowsError(try JSONParser.parse("\"a\u{1}b\"", context: "t"))
        XCTAssertThrowsError(try JSONParser.parse("\"abc", context: "t"))
    }
}
