#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Writes a safetensors file (docs/weights-format.md; checkpoints in
/// docs/training.md) atomically: the bytes go to a new temporary file in the
/// target's directory, which is fsync'ed, renamed over the target, and the
/// directory fsync'ed. A crash, a kill or a full disk at any point leaves
/// the previous file (or none) under the target name, never a torn one.
enum CheckpointFile {
    /// The JSON header: __metadata__ first, then the tensors in order with
    /// contiguous offsets, padded with spaces to 8 bytes (as tools/safetensors_io.py).
    static func header(metadata: [String: String], tensors: [Tensor]) -> [UInt8] {
        var json = "{\"__metadata__\":{"
        json += metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
        json += "}"
        var offset = 0
        for t in tensors {
            let bytes = t.count * 4
            json += ",\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        json += "}"
        var bytes = Array(json.utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return bytes
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Tells apart the temporary files of concurrent saves in one process.
    static let counter = Atomic<Int>(0)

    /// Writes header and tensors to `path` (NUL-terminated bytes) atomically.
    static func write(pathBytes path: [CChar], metadata: [String: String], tensors: [Tensor]) throws {
        try writeAtomically(pathBytes: path) { writer in
            let head = header(metadata: metadata, tensors: tensors)
            var length = UInt64(head.count).littleEndian
            try withUnsafeBytes(of: &length) { try writer.append($0) }
            try head.withUnsafeBytes { try writer.append($0) }
            for t in tensors {
                try writer.appendFloats(t.pointer, count: t.count)
            }
        }
    }

    /// Writes `bytes` to `path` atomically (the quantizer's .tflite files).
    static func write(pathBytes path: [CChar], bytes: [UInt8]) throws {
        try writeAtomically(pathBytes: path) { writer in try bytes.withUnsafeBytes { try writer.append($0) } }
    }

    /// A temporary file beside `path`, filled by `body`, fsynced, renamed
    /// over `path`, and the directory fsynced: a crash leaves the old file or
    /// the new one, never a torn one.
    private static func writeAtomically(pathBytes path: [CChar], _ body: (BufferedWriter) throws -> Void) throws {
        guard let end = path.firstIndex(of: 0), end > 0 else { throw MobileNetError.invalid("path is empty") }
        let shown = String(decoding: path[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let serial = counter.wrappingAdd(1, ordering: .relaxed).newValue
        var temporary = Array(path[..<end])
        temporary += Array(".tmp-\(getpid())-\(serial)".utf8CString.map { $0 })
        let fd = temporary.withUnsafeBufferPointer {
            open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0o644)
        }
        guard fd >= 0 else {
            throw MobileNetError(.io, "cannot create a temporary file beside '\(shown)': \(String(cString: strerror(errno)))")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(fd) }
            if !renamed { _ = temporary.withUnsafeBufferPointer { unlink($0.baseAddress!) } }
        }
        let writer = try BufferedWriter(fd: fd, shown: shown)
        try body(writer)
        try writer.flush()
        guard fsync(fd) == 0 else { throw MobileNetError(.io, "fsync of '\(shown)' failed: \(String(cString: strerror(errno)))") }
        closed = true
        guard close(fd) == 0 else { throw MobileNetError(.io, "close of '\(shown)' failed: \(String(cString: strerror(errno)))") }
        let moved = temporary.withUnsafeBufferPointer { t in path.withUnsafeBufferPointer { rename(t.baseAddress!, $0.baseAddress!) } }
        guard moved == 0 else {
            throw MobileNetError(.io, "cannot rename the temporary file to '\(shown)': \(String(cString: strerror(errno)))")
        }
        renamed = true
        syncDirectory(of: Array(path[..<end]))
    }

    /// fsync of the directory holding the renamed file, so the rename itself survives a crash.
    private static func syncDirectory(of path: [CChar]) {
        var directory: [CChar] = [CChar(UInt8(ascii: "."))]
        if let slash = path.lastIndex(of: CChar(UInt8(ascii: "/"))) {
            directory = slash == 0 ? [CChar(UInt8(ascii: "/"))] : Array(path[..<slash])
        }
        directory.append(0)
        let fd = directory.withUnsafeBufferPointer { open($0.baseAddress!, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }
}

/// 1 MiB of buffering between the tensors and write(2), retrying short
/// writes and EINTR; ENOSPC and the rest are IO errors naming the file.
private final class BufferedWriter {
    let fd: Int32
    let shown: String
    let buffer: UnsafeMutableRawPointer
    let capacity = 1 << 20
    var used = 0

    init(fd: Int32, shown: String) throws {
        self.fd = fd
        self.shown = shown
        // malloc, not Swift's allocator: a failure is OUT_OF_MEMORY, not a trap.
        guard let raw = malloc(capacity) else {
            throw MobileNetError(.outOfMemory, "cannot allocate the write buffer for '\(shown)'")
        }
        buffer = raw
    }

    deinit { free(buffer) }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            if used == capacity { try flush() }
            let n = min(capacity - used, bytes.count - offset)
            (buffer + used).copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            used += n
            offset += n
        }
    }

    func appendFloats(_ values: UnsafePointer<Float>, count: Int) throws {
        var i = 0
        while i < count {
            if used + 4 > capacity { try flush() }
            let n = min((capacity - used) / 4, count - i)
            let dst = buffer + used
            for j in 0..<n { dst.storeBytes(of: values[i + j].bitPattern.littleEndian, toByteOffset: 4 * j, as: UInt32.self) }
            used += 4 * n
            i += n
        }
    }

    func flush() throws {
        var done = 0
        while done < used {
            let n = write(fd, buffer + done, used - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw MobileNetError(.io, "cannot write '\(shown)': \(String(cString: strerror(errno)))")
            }
            done += n
        }
        used = 0
    }
}
