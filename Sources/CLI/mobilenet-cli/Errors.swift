import ArgumentParser
import MobileNet

/// A failure with a message for the user (ArgumentParser prints it after "Error: ").
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum UsageError {
    /// Runs `body`; the core's invalid-argument errors (values of options out
    /// of range) become usage errors: exit status 64 and the usage line, as
    /// for the ranges the CLI checks itself.
    static func fromInvalidArgument<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as MobileNetError where error.kind == .invalidArgument {
            throw ValidationError(error.message)
        }
    }
}
