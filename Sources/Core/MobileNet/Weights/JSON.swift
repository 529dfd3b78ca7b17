/// A small strict JSON parser (RFC 8259) for safetensors headers: the core
/// avoids Foundation, and a header is untrusted input, so nesting depth and
/// number forms are bounded and every error is a thrown FORMAT error.
public enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double, text: String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a, _), .number(b, _)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// The value for `key` of an object (nil for other kinds or a missing key).
    public subscript(key: String) -> JSONValue? {
        if case let .object(members) = self {
            return members.first(where: { $0.0 == key })?.1
        }
        return nil
    }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

public struct JSONParser {
    static let maxDepth = 64
    /// Values per document. The largest a model needs is `labels`: 100,001
    /// values for Architecture.maxClasses = 100,000; a header has about
    /// 1,500. Without a bound, a 64 MiB header of `[0,0,...]` (32 million
    /// values of 32 bytes each, plus array growth) peaked at 1.15 GB.
    static let maxValues = 1 << 18

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var values = 0
    private let context: String

    /// Parses one JSON document; `context` names it in error messages.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, context: String) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes, context: context)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index != bytes.count {
            throw parser.error("unexpected data after the JSON value")
        }
        return value
    }

    public static func parse(_ text: String, context: String) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse($0, context: context) }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, context: String) {
        self.bytes = bytes
        self.context = context
    }

    private func error(_ what: String) -> MobileNetError {
        .format("\(context): invalid JSON at byte \(index): \(what)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func expect(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw error("truncated literal") }
        let start = literal.utf8Start
        for i in 0..<count where bytes[index + i] != start[i] {
            throw error("unknown literal")
        }
        index += count
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw error("nested deeper than \(JSONParser.maxDepth)") }
        values += 1
        guard values <= JSONParser.maxValues else { throw error("more than \(JSONParser.maxValues) values") }
        guard let byte = peek() else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        index += 1
        var members: [(String, JSONValue)] = []
        var keys = Set<String>()  // a linear search would make many keys quadratic
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            try JSONParser.ensureRoom(&members, "an object")
            if keys.count == keys.capacity, keys.count >= 64 {
                // The set's storage doubles too: a String and a bit per slot.
                try AllocationProbe.ensure(bytes: 2 * keys.capacity * (MemoryLayout<String>.stride + 1),
                                           for: "the keys of an object of \(keys.count)")
            }
            if !keys.insert(key).inserted { throw error("duplicate key \"\(key)\"") }
            members.append((key, value))
            skipWhitespace()
            guard let next = peek() else { throw error("unterminated object") }
            index += 1
            if next == UInt8(ascii: "}") { return .object(members) }
            guard next == UInt8(ascii: ",") else { throw error("expected ',' or '}'") }
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return .array(elements) }
        while true {
            skipWhitespace()
            let element = try parseValue(depth: depth + 1)
            try JSONParser.ensureRoom(&elements, "an array")
            elements.append(element)
            skipWhitespace()
            guard let next = peek() else { throw error("unterminated array") }
            index += 1
            if next == UInt8(ascii: "]") { return .array(elements) }
            guard next == UInt8(ascii: ",") else { throw error("expected ',' or ']'") }
        }
    }

    /// Before an append that would grow `array`: the doubled storage is
    /// probed (AllocationProbe), so growth cannot abort the host. 2^18
    /// values of 32 bytes make 8 MiB, which failed under RLIMIT_AS.
    private static func ensureRoom<T>(_ array: inout [T], _ what: String) throws {
        guard array.count == array.capacity, array.count >= 64 else { return }
        let (bytes, overflow) = (2 * array.capacity).multipliedReportingOverflow(by: MemoryLayout<T>.stride)
        guard !overflow else { throw MobileNetError(.outOfMemory, "\(what) is too large") }
        try AllocationProbe.ensure(bytes: bytes, for: "\(what) of \(array.count) JSON values")
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("bad hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseString() throws -> String {
        index += 1  // opening quote
        // Most strings have no escape: made straight from the input bytes,
        // with no growing copy (which doubles the peak for a long string).
        var end = index
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
              bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            try AllocationProbe.ensure(bytes: end - index, for: "a string in the \(context)")
            let slice = UnsafeBufferPointer(rebasing: bytes[index..<end])
            guard let s = String(validating: slice, as: UTF8.self) else { throw error("string is not valid UTF-8") }
            index = end + 1
            return s
        }
        // Escaped: the decoded bytes are no more than the raw ones up to the
        // closing quote; room for them and the String made of them is
        // probed, then reserved, so the array never grows.
        var raw = end
        while raw < bytes.count, bytes[raw] != UInt8(ascii: "\"") {
            raw += bytes[raw] == UInt8(ascii: "\\") ? 2 : 1
        }
        let bound = min(raw, bytes.count) - index
        try AllocationProbe.ensure(bytes: 2 * bound, for: "a string in the \(context)")
        var utf8: [UInt8] = []
        utf8.reserveCapacity(bound)
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let c = bytes[index]
            index += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: utf8, as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw error("unterminated escape") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): utf8.append(0x22)
                case UInt8(ascii: "\\"): utf8.append(0x5C)
                case UInt8(ascii: "/"): utf8.append(0x2F)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"),
                              bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("bad code point") }
                    utf8.append(contentsOf: UTF8.encode(u)!)
                default: throw error("unknown escape")
                }
            case 0..<0x20:
                throw error("control character in string")
            default:
                utf8.append(c)
            }
        }
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            var n = 0
            while let c = p.peek(), c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { p.index += 1; n += 1 }
            return n
        }
        guard let first = peek(), first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
            throw error("expected digits")
        }
        if first == UInt8(ascii: "0") { index += 1 } else { _ = digits(&self) }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw error("expected digits after '.'") }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw error("expected exponent digits") }
        }
        guard index - start <= 64 else { throw error("number too long") }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text) else { throw error("unreadable number") }
        return .number(value, text: text)
    }
}
