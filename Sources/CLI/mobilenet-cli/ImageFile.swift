#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CStbImage

/// An image file (JPEG, PNG, ...) decoded to 8-bit RGB by stb_image, turned
/// upright by its EXIF orientation if it is a JPEG that has one.
struct ImageFile {
    /// Files above this size are refused before reading (stb_image takes an
    /// Int32 length, and no photo the network sees at 224x224 needs more).
    static let maxFileBytes = 256 << 20

    let width: Int
    let height: Int
    let rgb: [UInt8]
    /// The EXIF orientation that was applied (.upright if none).
    let orientation: ExifOrientation

    init(path: String) throws {
        let bytes = try Self.readFile(path)
        guard !bytes.isEmpty else { throw CLIError("cannot decode image: the file is empty") }
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        let decoded: (rgb: [UInt8], width: Int, height: Int) = try bytes.withUnsafeBytes { file in
            guard let base = file.baseAddress?.assumingMemoryBound(to: UInt8.self),
                  let pixels = stbi_load_from_memory(base, Int32(file.count), &width, &height, &channels, 3) else {
                let reason = stbi_failure_reason().map { String(cString: $0) } ?? "unknown error"
                throw CLIError("cannot decode image: \(reason)")
            }
            defer { stbi_image_free(pixels) }
            let count = Int(width) * Int(height) * 3
            return (Array(UnsafeBufferPointer(start: pixels, count: count)), Int(width), Int(height))
        }
        orientation = bytes.withUnsafeBytes { ExifOrientation.read(jpeg: $0) }
        (rgb, self.width, self.height) = orientation.apply(rgb: decoded.rgb, width: decoded.width, height: decoded.height)
    }

    /// The whole file, or an error with the operating system's reason.
    private static func readFile(_ path: String) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw CLIError(Platform.describe(errno: errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw CLIError(Platform.describe(errno: errno)) }
        // open() succeeds on a directory; say what it is rather than fail in read().
        if (info.st_mode & S_IFMT) == S_IFDIR { throw CLIError(Platform.describe(errno: EISDIR)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CLIError("not a regular file") }
        guard info.st_size <= maxFileBytes else {
            throw CLIError("file is larger than \(maxFileBytes >> 20) MiB")
        }
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
}
