#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading whole files, listing directories and replacing files atomically,
/// with the operating system's reasons in the errors (no Foundation: see Platform.swift).
enum FileIO {
    /// The whole regular file at `path`, refused above `maxBytes`.
    static func readAll(_ path: String, maxBytes: Int) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw CLIError(Platform.describe(errno: errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw CLIError(Platform.describe(errno: errno)) }
        // open() succeeds on a directory; say what it is rather than fail in read().
        if (info.st_mode & S_IFMT) == S_IFDIR { throw CLIError(Platform.describe(errno: EISDIR)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CLIError("not a regular file") }
        guard info.st_size <= maxBytes else { throw CLIError("file is larger than \(maxBytes >> 20) MiB") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw CLIError(Platform.describe(errno: errno))
            }
            if got == 0 { throw CLIError("file shrank while being read") }
            filled += got
        }
        return bytes
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory, sorted by their bytes (so the order, and the
    /// labels derived from it, do not depend on the file system or the locale);
    /// "." and ".." and hidden names (".DS_Store", editors' files) left out.
    static func list(_ directory: String) throws -> [String] {
        guard let handle = opendir(directory) else {
            throw CLIError("\(directory): \(Platform.describe(errno: errno))")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// Replaces `path` with `bytes` so that a crash or a full disk leaves the
    /// old file or the new one, never a torn one: a temporary file in the same
    /// directory, fsync'ed, renamed over the target, then the directory fsync'ed.
    static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CLIError("\(temporary): \(Platform.describe(errno: errno))") }
        var failure: String?
        var written = 0
        while failure == nil && written < bytes.count {
            let got = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if got < 0 && errno != EINTR { failure = Platform.describe(errno: errno) }
            if got > 0 { written += got }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = Platform.describe(errno: errno) }
        if close(descriptor) != 0 && failure == nil { failure = Platform.describe(errno: errno) }
        if failure == nil && rename(temporary, path) != 0 { failure = Platform.describe(errno: errno) }
        if let failure {
            unlink(temporary)
            throw CLIError("\(path): \(failure)")
        }
        // The rename is durable only once the directory is on disk too.
        let directory = open(PathName.parent(path.hasPrefix("/") ? path : "./" + path), O_RDONLY | O_CLOEXEC)
        if directory >= 0 { _ = fsync(directory); close(directory) }
    }
}
