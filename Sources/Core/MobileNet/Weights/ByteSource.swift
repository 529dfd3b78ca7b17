#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a model's bytes come from during load. Files are read with pread,
/// not mapped: a file truncated by another process while we load it then
/// gives an I/O error instead of SIGBUS in the host process.
protocol ByteSource {
    var size: Int { get }
    /// Copies `count` bytes at `offset`; a range outside `size` is an error.
    func read(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws
    /// Calls `body` with the bytes at offset..<offset+count: in place for
    /// memory, in a malloc'd copy for a file (a failed malloc is
    /// OUT_OF_MEMORY, where Swift's allocator would abort).
    func withBytes<T>(offset: Int, count: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T
}

extension ByteSource {
    func withBytes<T>(offset: Int, count: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
        guard let copy = malloc(max(count, 1)) else {
            throw MobileNetError(.outOfMemory, "cannot allocate \(count) bytes to read the model")
        }
        defer { free(copy) }
        try read(offset: offset, count: count, into: copy)
        return try body(UnsafeBufferPointer(start: copy.assumingMemoryBound(to: UInt8.self), count: count))
    }

    /// Whether offset..<offset+count lies inside 0..<size (no overflow: both
    /// are checked non-negative before the subtraction).
    func contains(offset: Int, count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset <= size && count <= size - offset
    }
}

struct MemoryByteSource: ByteSource {
    let bytes: UnsafeRawBufferPointer
    var size: Int { bytes.count }

    func read(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws {
        guard contains(offset: offset, count: count) else {
            throw MobileNetError(.internal, "read of \(count) bytes at \(offset) outside \(size) bytes")
        }
        if count > 0 { destination.copyMemory(from: bytes.baseAddress! + offset, byteCount: count) }
    }

    /// No copy: a 64 MiB header is parsed where the caller keeps it.
    func withBytes<T>(offset: Int, count: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
        guard contains(offset: offset, count: count) else {
            throw MobileNetError(.internal, "read of \(count) bytes at \(offset) outside \(size) bytes")
        }
        let base = bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + offset }
        return try body(UnsafeBufferPointer(start: count > 0 ? base : nil, count: count))
    }
}

final class FileByteSource: ByteSource {
    private let fd: Int32
    let size: Int
    /// For messages only: the path's bytes, invalid UTF-8 shown as U+FFFD.
    let path: String

    /// Opens `path` as given (NUL-terminated bytes, passed to open()
    /// untouched: a file name need not be UTF-8).
    init(pathBytes: [CChar]) throws {
        guard let end = pathBytes.firstIndex(of: 0) else {
            throw MobileNetError.invalid("path is not NUL-terminated")
        }
        guard end > 0 else { throw MobileNetError.invalid("path is empty") }
        let path = String(decoding: pathBytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.path = path
        // O_NONBLOCK: opening a FIFO with no writer would otherwise block
        // forever; it is cleared again below once the file is known regular.
        let fd = pathBytes.withUnsafeBufferPointer {
            open($0.baseAddress!, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        }
        guard fd >= 0 else {
            let code = errno
            // A socket cannot be opened at all (ENXIO): say what it is.
            var info = stat()
            let isSocket = pathBytes.withUnsafeBufferPointer { stat($0.baseAddress!, &info) } == 0
                && (info.st_mode & S_IFMT) == S_IFSOCK
            if isSocket { throw MobileNetError(.io, "model file '\(path)' is a socket, not a regular file") }
            throw MobileNetError(.io, "cannot open model file '\(path)': \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw MobileNetError(.io, "cannot stat model file '\(path)': \(message)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MobileNetError(.io, "model file '\(path)' is \(FileByteSource.kindName(info.st_mode)), not a regular file")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw MobileNetError(.io, "cannot clear O_NONBLOCK on model file '\(path)': \(message)")
        }
        guard info.st_size >= 0, let size = Int(exactly: info.st_size) else {
            close(fd)
            throw MobileNetError(.io, "model file '\(path)' reports an invalid size \(info.st_size)")
        }
        self.fd = fd
        self.size = size
    }

    convenience init(path: String) throws {
        guard !path.utf8.contains(0) else { throw MobileNetError.invalid("path contains a NUL byte") }
        try self.init(pathBytes: Array(path.utf8CString))
    }

    deinit { close(fd) }

    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFLNK: return "a symbolic link"
        default: return "of file type 0o\(String(mode & S_IFMT, radix: 8))"
        }
    }

    func read(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws {
        guard contains(offset: offset, count: count) else {
            throw MobileNetError(.internal, "read of \(count) bytes at \(offset) outside \(size) bytes")
        }
        var done = 0
        while done < count {
            // offset + done <= offset + count <= size: no overflow.
            let n = pread(fd, destination + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw MobileNetError(.io, "cannot read model file '\(path)': \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                throw MobileNetError(.io, "model file '\(path)' ended early (was it changed during load?)")
            }
            done += n
        }
    }
}
