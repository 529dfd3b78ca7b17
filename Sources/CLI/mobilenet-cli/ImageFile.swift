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
        try self.init(bytes: try FileIO.readAll(path, maxBytes: Self.maxFileBytes))
    }

    /// An encoded image in memory (a TFRecord's image/encoded).
    init(bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw CLIError("cannot decode image: the file is empty") }
        // stb_image takes an Int32 length; a TFRecord's bytes are not limited by the file check.
        guard bytes.count <= Self.maxFileBytes else { throw CLIError("image is larger than \(Self.maxFileBytes >> 20) MiB") }
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
}
