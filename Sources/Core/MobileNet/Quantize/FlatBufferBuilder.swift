/// A minimal FlatBuffer writer for the tables a quantized MobileNet .tflite
/// needs. It writes front to back: each table (vtable just before it), then
/// its children after it, so every uoffset points forward as the format
/// requires, and vtables are reached by a positive soffset. No vtable
/// sharing: 90 tensors make a few KB of vtables, nothing next to 4 MB of
/// weights.
struct FlatNode {
    enum Field {
        case u8(UInt8), i32(Int32), u32(UInt32)
        case table(FlatNode)
        case tables([FlatNode])
        case int32s([Int32]), int64s([Int64]), floats([Float])
        /// Raw bytes, their first byte 16-aligned (TFLite's force_align on Buffer.data).
        case bytes([UInt8])
        case string(String)
    }

    /// (field index in the schema, value); absent fields take schema defaults.
    var fields: [(Int, Field)]

    init(_ fields: [(Int, Field)]) { self.fields = fields }
}

struct FlatBufferBuilder {
    private(set) var bytes: [UInt8] = []

    /// The whole buffer: the root offset, `identifier` (4 bytes), the root table.
    static func build(root: FlatNode, identifier: [UInt8]) -> [UInt8] {
        var b = FlatBufferBuilder()
        b.bytes = [0, 0, 0, 0] + identifier
        let position = b.write(root)
        b.patch(at: 0, target: position)
        return b.bytes
    }

    private mutating func align(_ n: Int, after extra: Int = 0) {
        while (bytes.count + extra) % n != 0 { bytes.append(0) }
    }

    private mutating func put<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private mutating func set<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
    }

    /// Stores at `offset` the uoffset to `target` (which lies after it).
    private mutating func patch(at offset: Int, target: Int) { set(UInt32(target - offset), at: offset) }

    private static func size(_ f: FlatNode.Field) -> Int {
        switch f {
        case .u8: return 1
        default: return 4
        }
    }

    /// Writes one table and its children; returns the table's position.
    private mutating func write(_ node: FlatNode) -> Int {
        // Field layout inside the table: 4 bytes of soffset, then fields by
        // decreasing size so each stays aligned.
        let ordered = node.fields.sorted { FlatBufferBuilder.size($0.1) > FlatBufferBuilder.size($1.1) }
        var layout: [(index: Int, field: FlatNode.Field, offset: Int)] = []
        var cursor = 4
        for (index, field) in ordered {
            layout.append((index, field, cursor))
            cursor += FlatBufferBuilder.size(field)
        }
        let tableSize = (cursor + 3) / 4 * 4
        let maxIndex = node.fields.map(\.0).max() ?? -1
        let vtableSize = 4 + 2 * (maxIndex + 1)
        // vtable then table, the table 4-aligned.
        align(4, after: vtableSize)
        let vtable = bytes.count
        put(UInt16(vtableSize))
        put(UInt16(tableSize))
        var slots = [UInt16](repeating: 0, count: maxIndex + 1)
        for entry in layout { slots[entry.index] = UInt16(entry.offset) }
        for s in slots { put(s) }
        let table = bytes.count
        put(Int32(table - vtable))
        bytes.append(contentsOf: [UInt8](repeating: 0, count: tableSize - 4))
        var children: [(offset: Int, field: FlatNode.Field)] = []
        for entry in layout {
            let at = table + entry.offset
            switch entry.field {
            case let .u8(v): bytes[at] = v
            case let .i32(v): set(v, at: at)
            case let .u32(v): set(v, at: at)
            default: children.append((at, entry.field))
            }
        }
        for child in children {
            let position = writeChild(child.field)
            patch(at: child.offset, target: position)
        }
        return table
    }

    private mutating func writeChild(_ field: FlatNode.Field) -> Int {
        switch field {
        case let .table(node):
            return write(node)
        case let .tables(nodes):
            align(4)
            let start = bytes.count
            put(UInt32(nodes.count))
            let slots = bytes.count
            bytes.append(contentsOf: [UInt8](repeating: 0, count: 4 * nodes.count))
            for (i, node) in nodes.enumerated() {
                let position = write(node)
                patch(at: slots + 4 * i, target: position)
            }
            return start
        case let .int32s(values):
            align(4)
            let start = bytes.count
            put(UInt32(values.count))
            for v in values { put(v) }
            return start
        case let .int64s(values):
            align(8, after: 4)
            let start = bytes.count
            put(UInt32(values.count))
            for v in values { put(v) }
            return start
        case let .floats(values):
            align(4)
            let start = bytes.count
            put(UInt32(values.count))
            for v in values { put(v.bitPattern) }
            return start
        case let .bytes(values):
            align(16, after: 4)
            let start = bytes.count
            put(UInt32(values.count))
            bytes.append(contentsOf: values)
            return start
        case let .string(s):
            align(4)
            let start = bytes.count
            let utf8 = Array(s.utf8)
            put(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
            bytes.append(0)
            return start
        case .u8, .i32, .u32:
            return bytes.count  // scalars are written inline; not reached
        }
    }
}
