import CMobileNetHeader

// A static C string is needed here, which the header's MOBILENET_VERSION_STRING
// (imported as a Swift String) is not; CABITests checks that the two agree.
@_cdecl("mobilenet_version")
public func mobilenet_version() -> UnsafePointer<CChar> {
    cString("0.5.0")
}

@_cdecl("mobilenet_version_number")
public func mobilenet_version_number() -> Int32 {
    MOBILENET_VERSION_MAJOR * 10000 + MOBILENET_VERSION_MINOR * 100 + MOBILENET_VERSION_PATCH
}

@_cdecl("mobilenet_status_string")
public func mobilenet_status_string(_ status: mobilenet_status) -> UnsafePointer<CChar> {
    switch status {
    case MOBILENET_OK: return cString("ok")
    case MOBILENET_ERROR_INVALID_ARGUMENT: return cString("invalid argument")
    case MOBILENET_ERROR_IO: return cString("I/O error")
    case MOBILENET_ERROR_FORMAT: return cString("malformed model file")
    case MOBILENET_ERROR_UNSUPPORTED: return cString("unsupported model")
    case MOBILENET_ERROR_OUT_OF_MEMORY: return cString("out of memory")
    case MOBILENET_ERROR_BUFFER_TOO_SMALL: return cString("buffer too small")
    case MOBILENET_ERROR_INTERNAL: return cString("internal error")
    default: return cString("unknown status")
    }
}

@_cdecl("mobilenet_last_error")
public func mobilenet_last_error() -> UnsafePointer<CChar> {
    LastError.current
}
