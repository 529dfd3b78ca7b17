#if canImport(FoundationEssentials)
import FoundationEssentials  // JSONEncoder without all of Foundation (see Platform.swift)
#else
import Foundation
#endif

enum JSONOutput {
    /// `value` as indented JSON with sorted keys; property names become
    /// snake_case keys (multAdds -> "mult_adds").
    static func encode<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
