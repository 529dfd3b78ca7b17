import CStbImage

/// An image file (JPEG, PNG, ...) decoded to 8-bit RGB by stb_image.
struct ImageFile {
    let width: Int
    let height: Int
    let rgb: [UInt8]

    init(path: String) throws {
        var width: Int32 = 0, height: Int32 = 0, channels: Int32 = 0
        guard let pixels = stbi_load(path, &width, &height, &channels, 3) else {
            let reason = stbi_failure_reason().map { String(cString: $0) } ?? "unknown error"
            throw CLIError("cannot decode image '\(path)': \(reason)")
        }
        defer { stbi_image_free(pixels) }
        self.width = Int(width)
        self.height = Int(height)
        rgb = Array(UnsafeBufferPointer(start: pixels, count: Int(width) * Int(height) * 3))
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
