#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMobileNetHeader
import MobileNet

/// The calling thread's last error message (mobilenet_last_error): a malloc'd
/// C string per thread in a pthread key, freed when replaced or when the
/// thread exits.
enum LastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    static func set(_ message: String) {
        let old = pthread_getspecific(key)
        pthread_setspecific(key, strdup(message))
        free(old)
    }

    static func clear() {
        if let old = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            free(old)
        }
    }

    static var current: UnsafePointer<CChar> {
        if let message = pthread_getspecific(key) {
            return UnsafePointer(message.assumingMemoryBound(to: CChar.self))
        }
        return cString("")
    }
}

/// A static NUL-terminated C string from a string literal.
func cString(_ literal: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(literal.utf8Start).assumingMemoryBound(to: CChar.self)
}

extension mobilenet_status {
    init(_ kind: MobileNetError.Kind) {
        switch kind {
        case .invalidArgument: self = MOBILENET_ERROR_INVALID_ARGUMENT
        case .io: self = MOBILENET_ERROR_IO
        case .format: self = MOBILENET_ERROR_FORMAT
        case .unsupported: self = MOBILENET_ERROR_UNSUPPORTED
        case .outOfMemory: self = MOBILENET_ERROR_OUT_OF_MEMORY
        case .bufferTooSmall: self = MOBILENET_ERROR_BUFFER_TOO_SMALL
        case .internal: self = MOBILENET_ERROR_INTERNAL
        }
    }
}

/// Runs one entry point's body: success clears the thread's message, a thrown
/// error becomes its status and message.
func guarded(_ function: StaticString, _ body: () throws -> Void) -> mobilenet_status {
    do {
        try body()
        LastError.clear()
        return MOBILENET_OK
    } catch let error as MobileNetError {
        LastError.set("\(function): \(error.message)")
        return mobilenet_status(error.kind)
    } catch {
        LastError.set("\(function): \(error)")
        return MOBILENET_ERROR_INTERNAL
    }
}

func invalidArgument(_ message: String) -> MobileNetError {
    MobileNetError(.invalidArgument, message)
}
