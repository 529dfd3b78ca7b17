import XCTest
@testable import MobileNet

/// The bounds checks of the FlatBuffer reader on hand-made buffers: every
/// out-of-range offset, vtable, field and vector is a FORMAT error, never a read.
final class FlatBufferTests: XCTestCase {
    /// A buffer: root uoffset -> table at 12 with vtable at 4 (one u32 field at table+4, a vector field at +8).
    func makeBuffer(vectorLength: UInt32 = 2) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 40)
        func put32(_ v: UInt32, _ at: Int) { for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
        func put16(_ v: UInt16, _ at: Int) { b[at] = UInt8(v & 0xFF); b[at + 1] = UInt8(v >> 8) }
        put32(12, 0)  // root table at 12
        put16(8, 4); put16(12, 6); put16(4, 8); put16(8, 10)  // vtable: size 8, table 12 bytes, fields at +4, +8
        put32(UInt32(bitPattern: 12 - 4), 12)  // soffset: vtable at 12 - 8 = 4
        put32(0xDEADBEEF, 16)
        put32(28 - 20, 20)  // field 1: uoffset from 20 to the vector at 28
        put32(vectorLength, 28); put32(7, 32); put32(9, 36)
        return b
    }

    func read<T>(_ bytes: [UInt8], _ body: (FlatBuffer) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { try body(FlatBuffer(bytes: $0)) }
    }

    func testReadsAWellFormedTable() throws {
        try read(makeBuffer()) { fb in
            let root = try fb.root("root")
            XCTAssertEqual(try root.scalar(0, UInt32.self, default: 0), 0xDEADBEEF)
            XCTAssertEqual(try root.int32s(1, "v", limit: 8), [7, 9])
            XCTAssertEqual(try root.scalar(5, UInt32.self, default: 42), 42)  // beyond the vtable: the default
        }
    }

    func testRefusesAVectorPastTheEnd() throws {
        try read(makeBuffer(vectorLength: 0x7FFF_FFFF)) { fb in
            XCTAssertThrowsError(try fb.root("root").int32s(1, "v", limit: .max)) { error in
                XCTAssertEqual((error as? MobileNetError)?.kind, .format)
            }
        }
    }

    func testRefusesEveryTruncation() throws {
        let whole = makeBuffer()
        for cut in 0..<whole.count {
            try read(Array(whole.prefix(cut))) { fb in
                XCTAssertThrowsError(try { () throws -> Void in
                    let root = try fb.root("root")
                    _ = try root.scalar(0, UInt32.self, default: 0)
                    _ = try root.int32s(1, "v", limit: 8)
                }(), "cut at \(cut)")
            }
        }
    }

    func testRefusesOffsetsOutsideTheBuffer() throws {
        for (at, value) in [(0, UInt32(1000)), (12, UInt32(bitPattern: -100)), (12, UInt32(bitPattern: 100)),
                            (20, UInt32(0xFFFF_FFF0))] {
            var b = makeBuffer()
            for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
            try read(b) { fb in
                XCTAssertThrowsError(try fb.root("root").int32s(1, "v", limit: 8), "bad word at \(at)")
            }
        }
        // A field offset beyond its table's size.
        var b = makeBuffer()
        b[8] = 200
        try read(b) { fb in XCTAssertThrowsError(try fb.root("root").scalar(0, UInt32.self, default: 0)) }
    }
}
