extension Model {
    /// Loads a safetensors model file named by a Swift string (its UTF-8
    /// bytes). C callers go through `init(pathBytes:)`, which passes a file
    /// name's bytes to open() untouched, UTF-8 or not.
    public convenience init(path: String, options: LoadOptions = LoadOptions()) throws {
        guard !path.utf8.contains(0) else { throw MobileNetError.invalid("path contains a NUL byte") }
        try self.init(pathBytes: Array(path.utf8CString), options: options)
    }
}
