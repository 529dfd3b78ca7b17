#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The parsed and checked header of a safetensors file: 8-byte little-endian
/// header length, a JSON object naming each tensor's dtype, shape and byte
/// range, then the data. Everything is validated here before any tensor byte
/// is read, so nothing later allocates more than the file justifies.
struct SafeTensorsHeader {
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        /// Absolute byte range in the file.
        let begin: Int
        let end: Int
    }

    static let maxHeaderBytes = 64 << 20
    static let knownDTypes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
        "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]

    let metadata: [String: String]
    let entries: [String: Entry]
    let dataStart: Int

    static func read(from source: ByteSource) throws -> SafeTensorsHeader {
        guard source.size > 0 else { throw MobileNetError.format("the model file is empty") }
        guard source.size >= 8 else {
            throw MobileNetError.format("the file is \(source.size) bytes, too short for a safetensors header length")
        }
        var lengthBytes: UInt64 = 0
        try withUnsafeMutableBytes(of: &lengthBytes) { try source.read(offset: 0, count: 8, into: $0.baseAddress!) }
        let length = UInt64(littleEndian: lengthBytes)
        guard length >= 2 else { throw MobileNetError.format("safetensors header length \(length) is too small") }
        guard length <= UInt64(source.size - 8) else {
            throw MobileNetError.format("safetensors header length \(length) exceeds the file (\(source.size) bytes)")
        }
        guard length <= UInt64(maxHeaderBytes) else {
            throw MobileNetError.format("safetensors header length \(length) exceeds the \(maxHeaderBytes)-byte limit")
        }
        let headerCount = Int(length)
        let json = try source.withBytes(offset: 8, count: headerCount) {
            try JSONParser.parse($0, context: "safetensors header")
        }
        return try SafeTensorsHeader(json: json, dataStart: 8 + headerCount, fileSize: source.size)
    }

    init(json: JSONValue, dataStart: Int, fileSize: Int) throws {
        guard case let .object(members) = json else {
            throw MobileNetError.format("the safetensors header is \(json.kindName), not an object")
        }
        // dataStart = 8 + header length <= fileSize (checked by read(from:)).
        guard dataStart >= 0, dataStart <= fileSize else {
            throw MobileNetError(.internal, "data start \(dataStart) outside the \(fileSize)-byte file")
        }
        let dataSize = fileSize - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard case let .object(pairs) = value else {
                    throw MobileNetError.format("__metadata__ is \(value.kindName), not an object of strings")
                }
                for (key, item) in pairs {
                    guard case let .string(text) = item else {
                        throw MobileNetError.format("metadata '\(key)' is \(item.kindName), not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            entries[name] = try SafeTensorsHeader.entry(name: name, value: value, dataStart: dataStart,
                                                        dataSize: dataSize)
        }
        // Tensors must tile the data section exactly: no overlaps, no holes.
        let ordered = entries.values.sorted { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = dataStart
        for entry in ordered {
            if entry.begin < cursor {
                throw MobileNetError.format("tensor '\(entry.name)' overlaps the previous tensor's bytes")
            }
            if entry.begin > cursor {
                throw MobileNetError.format("the data section has a hole before tensor '\(entry.name)'")
            }
            cursor = entry.end
        }
        if cursor != fileSize {
            throw MobileNetError.format("\(fileSize - cursor) bytes at the end of the file belong to no tensor")
        }
        self.metadata = metadata
        self.entries = entries
        self.dataStart = dataStart
    }

    private static func entry(name: String, value: JSONValue, dataStart: Int, dataSize: Int) throws -> Entry {
        guard case let .object(fields) = value else {
            throw MobileNetError.format("tensor '\(name)' is described by \(value.kindName), not an object")
        }
        for (key, _) in fields where !["dtype", "shape", "data_offsets"].contains(key) {
            throw MobileNetError.format("tensor '\(name)' has an unknown field '\(key)'")
        }
        guard case let .string(dtype)? = value["dtype"] else {
            throw MobileNetError.format("tensor '\(name)' has no string 'dtype'")
        }
        guard let elementSize = knownDTypes[dtype] else {
            throw MobileNetError.format("tensor '\(name)' has an unknown dtype '\(dtype)'")
        }
        guard case let .array(dims)? = value["shape"] else {
            throw MobileNetError.format("tensor '\(name)' has no 'shape' array")
        }
        guard dims.count <= 8 else { throw MobileNetError.format("tensor '\(name)' has \(dims.count) dimensions") }
        var shape: [Int] = []
        var count = 1
        for dim in dims {
            guard let d = exactInt(dim), d >= 0, d <= dataSize else {
                throw MobileNetError.format("tensor '\(name)' has an invalid dimension in its shape")
            }
            shape.append(d)
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= dataSize else {
                throw MobileNetError.format("tensor '\(name)' has a shape larger than the file")
            }
            count = product
        }
        guard case let .array(offsets)? = value["data_offsets"], offsets.count == 2,
              let begin = exactInt(offsets[0]), let end = exactInt(offsets[1]) else {
            throw MobileNetError.format("tensor '\(name)' has no 'data_offsets' pair of integers")
        }
        guard begin >= 0, end >= begin, end <= dataSize else {
            throw MobileNetError.format(
                "tensor '\(name)' has data_offsets [\(begin), \(end)] outside the \(dataSize)-byte data section")
        }
        // count <= dataSize, but dataSize can be near Int.max (a sparse file
        // of 2^60 bytes): the byte count must be checked too.
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, bytes <= dataSize else {
            throw MobileNetError.format("tensor '\(name)' has a shape \(shape) of \(dtype) larger than the file")
        }
        guard end - begin == bytes else {
            throw MobileNetError.format(
                "tensor '\(name)' spans \(end - begin) bytes but its shape \(shape) of \(dtype) needs \(bytes)")
        }
        // end <= dataSize, so dataStart + end <= fileSize: no overflow.
        return Entry(name: name, dtype: dtype, shape: shape, begin: dataStart + begin, end: dataStart + end)
    }

    /// A JSON number that is an exact non-fractional integer written without
    /// fraction or exponent, within Int range.
    private static func exactInt(_ value: JSONValue) -> Int? {
        guard case let .number(_, text) = value else { return nil }
        guard !text.contains("."), !text.contains("e"), !text.contains("E") else { return nil }
        return Int(text)
    }
}
