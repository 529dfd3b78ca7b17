// The few operating-system services the CLI needs, without Foundation: the CLI
// is linked with the static Swift standard library, and Foundation's static
// build does not link into an executable that uses JSONSerialization.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Platform {
    /// The environment variable `name`, nil if unset.
    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The operating system's description of an errno value ("No such file or directory").
    static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The running executable's absolute path with every symlink resolved, so
    /// that files installed beside it are found however it was started (through
    /// PATH, a symlink, a relative path). nil if the system cannot tell.
    static func executablePath() -> String? {
        #if os(Linux)
        // The kernel's link names the real file, symlinks already resolved.
        var size = 4096
        while size <= 1 << 20 {
            var buffer = [CChar](repeating: 0, count: size)
            let length = readlink("/proc/self/exe", &buffer, size)
            if length < 0 { return nil }
            if length < size {
                return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            size *= 2  // possibly truncated: retry with a larger buffer
        }
        return nil
        #elseif canImport(Darwin)
        var size: UInt32 = 0
        _ = _NSGetExecutablePath(nil, &size)  // sets the size needed
        var buffer = [CChar](repeating: 0, count: Int(size) + 1)
        guard _NSGetExecutablePath(&buffer, &size) == 0 else { return nil }
        // _NSGetExecutablePath may name a symlink; realpath resolves it.
        guard let resolved = realpath(buffer, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
        #else
        return nil
        #endif
    }

    /// printf-style formatting of numbers (String(format:) is Foundation's).
    static func format(_ format: String, _ arguments: CVarArg...) -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        while true {
            // A va_list is spent by one vsnprintf, so each attempt makes its own.
            let needed = withVaList(arguments) { Int(vsnprintf(&buffer, buffer.count, format, $0)) }
            if needed < 0 { return format }  // an invalid format: show it rather than nothing
            if needed < buffer.count { return String(cString: buffer) }
            buffer = [CChar](repeating: 0, count: needed + 1)
        }
    }

    /// Writes a line to standard error.
    static func printError(_ line: String) {
        fputs(line + "\n", stderr)
    }
}

/// Directory arithmetic on absolute paths ("/a/b/c" -> "/a/b").
enum PathName {
    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
