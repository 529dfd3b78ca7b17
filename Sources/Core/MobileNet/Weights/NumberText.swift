/// The strict number forms of metadata values (docs/weights-format.md):
/// exactly RFC 8259's number grammar, nothing around it. Swift's `Double(_:)`
/// and `Int(_:)` accept more than that: "+0.5", "0x1p-1", "016", and stop
/// at a NUL ("0.01\u{0}junk" read as 0.01), so they only convert text that
/// passed this check.
enum NumberText {
    /// Whether `text` is `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`;
    /// with `integer`, only `-? (0 | [1-9][0-9]*)`.
    static func isJSONNumber(_ text: String, integer: Bool) -> Bool {
        let bytes = Array(text.utf8)
        var i = 0
        func digits() -> Int {
            let start = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count else { return false }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if digits() == 0 {
            return false
        }
        if integer { return i == bytes.count }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == bytes.count
    }

    /// A decimal that is finite and either zero or normal as a float32
    /// (|x| >= 2^-126): the library reports and uses these values as float,
    /// where a subnormal double such as 1e-310 becomes 0.
    static func decimal(_ text: String) -> Double? {
        guard text.utf8.count <= 64, isJSONNumber(text, integer: false), let value = Double(text),
              value.isFinite, value == 0 || Float(value).isNormal else { return nil }
        return value
    }

    /// An integer in JSON's integer form within Int's range.
    static func integer(_ text: String) -> Int? {
        guard text.utf8.count <= 20, isJSONNumber(text, integer: true) else { return nil }
        return Int(text)
    }

    /// `text` for an error message: at most 40 characters, control
    /// characters (a NUL would end the C string) shown as \u{..}.
    static func quoted(_ text: String) -> String {
        var out = ""
        for (n, scalar) in text.unicodeScalars.enumerated() {
            if n == 40 { out += "..."; break }
            out += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return out
    }
}
