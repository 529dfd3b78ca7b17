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
///
/// The key is ours only if pthread_key_create succeeded: a host that used
/// every key (PTHREAD_KEYS_MAX, 1024 on glibc) gets the static `unavailable`
/// message instead, and the library never reads, writes or frees a key it
/// did not create (key 0 would be the host's). The same static text stands
/// in when strdup fails; it is never freed.
enum LastError {
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key) { value in
            if let value, value != LastError.unavailableRaw { free(value) }
        }
        return result == 0 ? key : nil
    }()

    static let unavailable = cString(
        "error message unavailable (no per-thread storage: the process has no free pthread key, or memory ran out); the returned status says what failed")
    private static var unavailableRaw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(mutating: unavailable) }

    static func set(_ message: String) {
        guard let key else { return }
        let old = pthread_getspecific(key)
        let copy = strdup(message).map { UnsafeMutableRawPointer($0) } ?? unavailableRaw
        pthread_setspecific(key, copy)
        if let old, old != unavailableRaw { free(old) }
    }

    static func clear() {
        guard let key else { return }
        if let old = pthread_getspecific(key) {
            pthread_setspecific(key, nil)
            if old != unavailableRaw { free(old) }
        }
    }

    static var current: UnsafePointer<CChar> {
        guard let key else { return unavailable }
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
