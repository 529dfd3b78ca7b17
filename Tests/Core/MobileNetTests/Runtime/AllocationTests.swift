import XCTest
@testable import MobileNet

/// Allocation failure is an OUT_OF_MEMORY error, never a Swift abort.
final class AllocationTests: XCTestCase {
    func kind(_ body: () throws -> Void) -> MobileNetError.Kind? {
        do { try body() } catch let error as MobileNetError { return error.kind } catch { return nil }
        return nil
    }

    func testAlignedBufferReportsFailedAllocation() {
        XCTAssertEqual(kind { _ = try AlignedBuffer(count: 1 << 60) }, .outOfMemory)     // 4 EiB: posix_memalign fails
        XCTAssertEqual(kind { _ = try AlignedBuffer(count: Int.max / 2) }, .outOfMemory)  // byte count overflows
        XCTAssertEqual(kind { _ = try AlignedBuffer(count: -1) }, .internal)
        XCTAssertNoThrow(try AlignedBuffer(count: 1000))
    }

    func testProbeReportsFailedAllocation() {
        XCTAssertEqual(kind { try AllocationProbe.ensure(bytes: 1 << 62, for: "a test") }, .outOfMemory)
        XCTAssertEqual(kind { try AllocationProbe.ensure(bytes: Int.max - 1, for: "a test") }, .outOfMemory)
        XCTAssertNil(kind { try AllocationProbe.ensure(bytes: 1 << 20, for: "a test") })
    }

    func testHeaderOfAHugeStringFromMemoryIsNotCopied() throws {
        // 8 MiB of one metadata string: parsed in place (MemoryByteSource),
        // rejected for its content, not for memory.
        var header = Array(#"{"__metadata__":{"labels":""#.utf8)
        header += [UInt8](repeating: UInt8(ascii: "x"), count: 8 << 20)
        header += Array(#""}}"#.utf8)
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        file += header
        XCTAssertEqual(kind { try file.withUnsafeBytes { _ = try Model(bytes: $0) } }, .format)
    }
}
