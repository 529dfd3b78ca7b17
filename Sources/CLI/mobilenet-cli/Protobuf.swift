/// The protocol-buffer wire format, as far as tf.train.Example needs it: a
/// reader over untrusted bytes where every length and offset is checked, so
/// a corrupt record is an error, never a crash or a read out of bounds.
struct ProtobufReader {
    enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        position = start
        self.end = end ?? bytes.count
    }

    var atEnd: Bool { position >= end }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard position < end else { throw CLIError("truncated varint") }
            let byte = bytes[position]
            position += 1
            guard shift < 63 || byte <= 1 else { throw CLIError("varint longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw CLIError("varint longer than 10 bytes")
    }

    /// The next field's number and wire type; groups (deprecated, never in an Example) are refused.
    mutating func tag() throws -> (field: UInt64, wire: WireType) {
        let key = try varint()
        guard let wire = WireType(rawValue: key & 7) else { throw CLIError("unsupported wire type \(key & 7)") }
        guard key >> 3 > 0 else { throw CLIError("field number 0") }
        return (key >> 3, wire)
    }

    /// A length-delimited field's byte range, checked against the enclosing message.
    mutating func lengthDelimited() throws -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else { throw CLIError("field length \(length) runs past its message") }
        let start = position
        position += Int(length)
        return start..<position
    }

    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed64, .fixed32:
            let size = wire == .fixed64 ? 8 : 4
            guard end - position >= size else { throw CLIError("truncated fixed-size field") }
            position += size
        }
    }

    /// A reader of a nested message's bytes.
    func nested(_ range: Range<Int>) -> ProtobufReader { ProtobufReader(bytes, from: range.lowerBound, to: range.upperBound) }
}

/// The features of a tf.train.Example (example.proto, feature.proto) that an
/// image-classification record uses: bytes lists and int64 lists by key.
/// Float lists and unknown fields are skipped.
struct ExampleFeatures {
    var bytes: [String: [[UInt8]]] = [:]
    var int64s: [String: [Int64]] = [:]

    /// Example { Features features = 1 }, Features { map<string, Feature> feature = 1 }.
    init(parsing record: UnsafeRawBufferPointer) throws {
        var example = ProtobufReader(record)
        while !example.atEnd {
            let (field, wire) = try example.tag()
            guard field == 1, wire == .lengthDelimited else { try example.skip(wire); continue }
            var features = example.nested(try example.lengthDelimited())
            while !features.atEnd {
                let (field, wire) = try features.tag()
                guard field == 1, wire == .lengthDelimited else { try features.skip(wire); continue }
                try parseEntry(features.nested(try features.lengthDelimited()))
            }
        }
    }

    /// A map entry: key = 1 (string), value = 2 (Feature).
    private mutating func parseEntry(_ entry: ProtobufReader) throws {
        var entry = entry
        var key = ""
        var value: Range<Int>?
        while !entry.atEnd {
            let (field, wire) = try entry.tag()
            if field == 1, wire == .lengthDelimited {
                let range = try entry.lengthDelimited()
                key = String(decoding: UnsafeRawBufferPointer(rebasing: entry.bytes[range]), as: UTF8.self)
            } else if field == 2, wire == .lengthDelimited {
                value = try entry.lengthDelimited()
            } else {
                try entry.skip(wire)
            }
        }
        guard let value else { return }
        try parseFeature(key, entry.nested(value))
    }

    /// Feature { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3 } }.
    private mutating func parseFeature(_ key: String, _ feature: ProtobufReader) throws {
        var feature = feature
        while !feature.atEnd {
            let (field, wire) = try feature.tag()
            guard wire == .lengthDelimited, field == 1 || field == 3 else { try feature.skip(wire); continue }
            var list = feature.nested(try feature.lengthDelimited())
            while !list.atEnd {
                let (item, itemWire) = try list.tag()
                guard item == 1 else { try list.skip(itemWire); continue }
                if field == 1, itemWire == .lengthDelimited {  // BytesList { repeated bytes value = 1 }
                    let range = try list.lengthDelimited()
                    bytes[key, default: []].append(Array(UnsafeRawBufferPointer(rebasing: list.bytes[range])))
                } else if field == 3, itemWire == .varint {  // Int64List, unpacked
                    int64s[key, default: []].append(Int64(bitPattern: try list.varint()))
                } else if field == 3, itemWire == .lengthDelimited {  // Int64List, packed (proto3's default)
                    var packed = list.nested(try list.lengthDelimited())
                    while !packed.atEnd { int64s[key, default: []].append(Int64(bitPattern: try packed.varint())) }
                } else {
                    try list.skip(itemWire)
                }
            }
        }
    }
}
