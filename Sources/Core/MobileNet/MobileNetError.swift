/// The one error type the core throws: a kind the C ABI maps to a status
/// code, and a message for a person.
public struct MobileNetError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        case invalidArgument
        case io
        case format
        case unsupported
        case outOfMemory
        case bufferTooSmall
        case `internal`
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    static func format(_ message: String) -> MobileNetError { MobileNetError(.format, message) }
    static func invalid(_ message: String) -> MobileNetError { MobileNetError(.invalidArgument, message) }
}
