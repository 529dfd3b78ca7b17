import XCTest
@testable import MobileNet

/// FlatBufferBuilder's output read back by our bounds-checked FlatBuffer
/// reader: scalars of every width, nested tables, vectors of tables, int32,
/// int64, float and byte vectors (16-aligned), strings, absent fields.
final class FlatBufferBuilderTests: XCTestCase {
    func testRoundTripsThroughTheReader() throws {
        let child = FlatNode([(0, .i32(-5)), (1, .string("child"))])
        let root = FlatNode([
            (0, .u32(3)), (1, .u8(9)), (2, .table(child)), (3, .tables([child, FlatNode([(0, .i32(7))])])),
            (4, .int32s([1, -2, 3])), (5, .int64s([-128, 1 << 40])), (6, .floats([0.5, -2])),
            (7, .bytes([1, 2, 3, 4, 5])), (9, .string("héllo")),
        ])
        let bytes = FlatBufferBuilder.build(root: root, identifier: Array("TEST".utf8))
        XCTAssertEqual(Array(bytes[4..<8]), Array("TEST".utf8))
        try bytes.withUnsafeBytes { raw in
            let fb = FlatBuffer(bytes: raw)
            let t = try fb.root("root")
            XCTAssertEqual(try t.scalar(0, UInt32.self, default: 0), 3)
            XCTAssertEqual(try t.scalar(1, UInt8.self, default: 0), 9)
            XCTAssertEqual(try t.scalar(8, Int32.self, default: 42), 42)  // absent: the default
            XCTAssertEqual(try t.scalar(20, Int32.self, default: 1), 1)   // beyond the vtable
            let c = try XCTUnwrap(try t.table(2, "child"))
            XCTAssertEqual(try c.scalar(0, Int32.self, default: 0), -5)
            XCTAssertEqual(try c.string(1, "name"), "child")
            let list = try XCTUnwrap(try t.vector(3, elementSize: 4, "list"))
            XCTAssertEqual(list.count, 2)
            XCTAssertEqual(try list.table(1).scalar(0, Int32.self, default: 0), 7)
            XCTAssertNil(try list.table(1).string(1, "name"))
            XCTAssertEqual(try t.int32s(4, "ints", limit: 10), [1, -2, 3])
            let longs = try XCTUnwrap(try t.vector(5, elementSize: 8, "longs"))
            XCTAssertEqual(try longs.load(0, Int64.self), -128)
            XCTAssertEqual(try longs.load(1, Int64.self), 1 << 40)
            XCTAssertEqual(longs.start % 8, 0)
            let floats = try XCTUnwrap(try t.vector(6, elementSize: 4, "floats"))
            XCTAssertEqual(Float(bitPattern: try floats.load(1, UInt32.self)), -2)
            let data = try XCTUnwrap(try t.vector(7, elementSize: 1, "data"))
            XCTAssertEqual(data.start % 16, 0)
            XCTAssertEqual((0..<5).map { raw[data.start + $0] }, [1, 2, 3, 4, 5])
            XCTAssertEqual(try t.string(9, "s"), "héllo")
        }
    }
}
