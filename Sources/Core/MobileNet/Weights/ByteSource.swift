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
    /// Copies `count` bytes at `offset` (already checked to lie inside `size`).
    func read(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws
}

struct MemoryByteSource: ByteSource {
    let bytes: UnsafeRawBufferPointer
    var size: Int { bytes.count }

    func read(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws {
        guard offset >= 0, count >= 0, offset <= size - count else {
            throw MobileNetError(.internal, "read of \(count) bytes at \(offset) outside \(size) bytes")
        }
        if count > 0 { destination.copyMemory(from: bytes.baseAddress! + offset, byteCount: count) }
    }
}

final class FileByteSource: ByteSource {
    private let fd: Int32
    let size: Int
    let path: String

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw MobileNetError(.io, "cannot open model file '\(path)': \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw MobileNetError(.io, "cannot stat model file '\(path)': \(message)")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw MobileNetError(.io, "model file '\(path)' is not a regular file")
        }
        self.fd = fd
        self.size = Int(info.st_size)
    }

    deinit { close(fd) }

    func read(offset: Int, count: Int, into destination: UnsafeMutableRawPointer) throws {
        var done = 0
        while done < count {
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
