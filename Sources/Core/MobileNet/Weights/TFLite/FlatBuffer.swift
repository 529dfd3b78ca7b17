/// A bounds-checked reader of one FlatBuffer (the encoding of .tflite files),
/// with the discipline TFLite's own verifier grew after its CVEs: every
/// offset, vtable, field and vector is checked to lie inside the buffer
/// before it is read, with checked arithmetic, and a malformed buffer is a
/// FORMAT error naming what was being read, never a trap or a wild read.
/// Reads are unaligned loads, so a misaligned (but in-bounds) table is read
/// correctly rather than refused.
struct FlatBuffer {
    let bytes: UnsafeRawBufferPointer

    var count: Int { bytes.count }

    func contains(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count && length <= count - offset
    }

    func load<T: FixedWidthInteger>(_ type: T.Type, at offset: Int, _ what: @autoclosure () -> String) throws -> T {
        guard contains(offset, MemoryLayout<T>.size) else {
            throw MobileNetError.format("\(what()) at byte \(offset) lies outside the \(count)-byte file")
        }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// The position a uoffset stored at `offset` points to.
    func follow(_ offset: Int, _ what: @autoclosure () -> String) throws -> Int {
        let relative = try load(UInt32.self, at: offset, what())
        let (target, overflow) = offset.addingReportingOverflow(Int(relative))
        guard !overflow, target < count else {
            throw MobileNetError.format("\(what()) points outside the file (offset \(relative) at byte \(offset))")
        }
        return target
    }

    /// The root table (its uoffset at byte 0).
    func root(_ what: String) throws -> FlatTable { try table(at: try follow(0, what), what) }

    func table(at position: Int, _ what: String) throws -> FlatTable {
        let soffset = try load(Int32.self, at: position, what + "'s vtable offset")
        let (vtable, overflow) = position.subtractingReportingOverflow(Int(soffset))
        guard !overflow, contains(vtable, 4) else {
            throw MobileNetError.format("\(what)'s vtable lies outside the file")
        }
        let vtableSize = Int(try load(UInt16.self, at: vtable, what + "'s vtable"))
        let tableSize = Int(try load(UInt16.self, at: vtable + 2, what + "'s vtable"))
        guard vtableSize >= 4, vtableSize % 2 == 0, contains(vtable, vtableSize) else {
            throw MobileNetError.format("\(what)'s vtable (\(vtableSize) bytes) is malformed")
        }
        guard tableSize >= 4, contains(position, tableSize) else {
            throw MobileNetError.format("\(what) (\(tableSize) bytes) runs past the end of the file")
        }
        return FlatTable(buffer: self, position: position, vtable: vtable, fields: (vtableSize - 4) / 2,
                         size: tableSize, what: what)
    }
}

/// One table: fields by index (their order in the schema).
struct FlatTable {
    let buffer: FlatBuffer
    let position: Int
    let vtable: Int
    let fields: Int
    let size: Int
    let what: String

    /// The byte position of field `index` if present, checked to hold `width`
    /// bytes inside the table.
    func field(_ index: Int, width: Int) throws -> Int? {
        guard index < fields else { return nil }
        let offset = Int(try buffer.load(UInt16.self, at: vtable + 4 + 2 * index, what + "'s vtable"))
        if offset == 0 { return nil }
        guard offset >= 4, offset <= size - width else {
            throw MobileNetError.format("\(what): field \(index) lies outside its table")
        }
        return position + offset
    }

    func scalar<T: FixedWidthInteger>(_ index: Int, _ type: T.Type, default value: T) throws -> T {
        guard let at = try field(index, width: MemoryLayout<T>.size) else { return value }
        return try buffer.load(T.self, at: at, what)
    }

    func float(_ index: Int, default value: Float) throws -> Float {
        Float(bitPattern: try scalar(index, UInt32.self, default: value.bitPattern))
    }

    func table(_ index: Int, _ what: String) throws -> FlatTable? {
        guard let at = try field(index, width: 4) else { return nil }
        return try buffer.table(at: try buffer.follow(at, self.what + "'s " + what), self.what + "'s " + what)
    }

    /// A vector of `elementSize`-byte elements, its whole extent checked.
    func vector(_ index: Int, elementSize: Int, _ what: String) throws -> FlatVector? {
        guard let at = try field(index, width: 4) else { return nil }
        let name = self.what + "'s " + what
        let start = try buffer.follow(at, name)
        let length = Int(try buffer.load(UInt32.self, at: start, name + " length"))
        let (bytes, overflow) = length.multipliedReportingOverflow(by: elementSize)
        guard !overflow, buffer.contains(start + 4, bytes) else {
            throw MobileNetError.format("\(name) (\(length) elements) runs past the end of the file")
        }
        return FlatVector(buffer: buffer, start: start + 4, count: length, elementSize: elementSize, what: name)
    }

    /// A string, for messages and names: invalid UTF-8 is replaced, not trusted.
    func string(_ index: Int, _ what: String) throws -> String? {
        guard let v = try vector(index, elementSize: 1, what) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer.bytes[v.start..<v.start + v.count]),
                      as: UTF8.self)
    }

    /// A vector of int32 (indices, shapes), at most `limit` long.
    func int32s(_ index: Int, _ what: String, limit: Int) throws -> [Int32]? {
        guard let v = try vector(index, elementSize: 4, what) else { return nil }
        guard v.count <= limit else { throw MobileNetError.format("\(v.what) has \(v.count) entries (at most \(limit))") }
        return try (0..<v.count).map { try buffer.load(Int32.self, at: v.start + 4 * $0, v.what) }
    }
}

struct FlatVector {
    let buffer: FlatBuffer
    let start: Int
    let count: Int
    let elementSize: Int
    let what: String

    /// Element `i` of a vector of tables.
    func table(_ i: Int) throws -> FlatTable {
        let at = start + 4 * i
        return try buffer.table(at: try buffer.follow(at, what + "[\(i)]"), what + "[\(i)]")
    }

    func load<T: FixedWidthInteger>(_ i: Int, _ type: T.Type) throws -> T {
        try buffer.load(T.self, at: start + elementSize * i, what)
    }
}
