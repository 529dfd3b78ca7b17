/// The EXIF orientation of a JPEG (TIFF tag 0x0112): how the stored pixels
/// must be turned to be seen upright. Cameras store a portrait photo as a
/// landscape one with this tag; stb_image ignores it, so the CLI applies it
/// itself before classifying.
enum ExifOrientation: Int {
    case upright = 1, mirrored = 2, rotated180 = 3, flippedVertically = 4
    case transposed = 5, rotated90Clockwise = 6, transverse = 7, rotated90CounterClockwise = 8

    /// The orientation recorded in a JPEG file's first Exif APP1 segment;
    /// .upright if the file is not a JPEG, has no Exif segment or no valid tag.
    /// Every offset is checked against the bytes: a malformed segment is ignored.
    static func read(jpeg bytes: UnsafeRawBufferPointer) -> ExifOrientation {
        let reader = ByteReader(bytes: bytes)
        guard reader.uint8(0) == 0xFF, reader.uint8(1) == 0xD8 else { return .upright }  // SOI
        var position = 2
        while let marker = reader.uint8(position), marker == 0xFF {
            // Markers may be preceded by fill bytes 0xFF.
            var code = position + 1
            while reader.uint8(code) == 0xFF { code += 1 }
            guard let kind = reader.uint8(code) else { return .upright }
            switch kind {
            case 0xD8, 0xD0...0xD7, 0x01:  // standalone markers, no length
                position = code + 1
                continue
            case 0xDA, 0xD9:  // start of scan, end of image: no metadata follows
                return .upright
            default:
                break
            }
            // The length counts its own two bytes and the payload.
            guard let length = reader.uint16(code + 1, bigEndian: true), length >= 2 else { return .upright }
            let payloadStart = code + 3
            let payloadEnd = code + 1 + Int(length)
            guard payloadEnd <= bytes.count else { return .upright }
            if kind == 0xE1, let orientation = fromExif(reader.slice(payloadStart, payloadEnd)) {
                return orientation
            }
            position = payloadEnd
        }
        return .upright
    }

    /// The orientation tag of an APP1 payload ("Exif\0\0" + a TIFF structure),
    /// nil if the payload is not Exif or holds no valid tag.
    private static func fromExif(_ payload: ByteReader?) -> ExifOrientation? {
        guard let payload else { return nil }
        let signature: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0x00, 0x00]  // "Exif\0\0"
        for (i, byte) in signature.enumerated() where payload.uint8(i) != byte { return nil }
        guard let tiff = payload.slice(signature.count, payload.count) else { return nil }
        let bigEndian: Bool
        switch (tiff.uint8(0), tiff.uint8(1)) {
        case (0x4D, 0x4D): bigEndian = true   // "MM"
        case (0x49, 0x49): bigEndian = false  // "II"
        default: return nil
        }
        guard tiff.uint16(2, bigEndian: bigEndian) == 42,
              let ifdOffset = tiff.uint32(4, bigEndian: bigEndian),
              let entryCount = tiff.uint16(Int(ifdOffset), bigEndian: bigEndian) else { return nil }
        let entriesStart = Int(ifdOffset) + 2
        for entry in 0..<Int(entryCount) {
            let offset = entriesStart + entry * 12
            guard let tag = tiff.uint16(offset, bigEndian: bigEndian),
                  let type = tiff.uint16(offset + 2, bigEndian: bigEndian),
                  let count = tiff.uint32(offset + 4, bigEndian: bigEndian) else { return nil }
            guard tag == 0x0112 else { continue }
            // One SHORT (type 3), stored left-aligned in the 4-byte value field.
            guard type == 3, count == 1, let value = tiff.uint16(offset + 8, bigEndian: bigEndian) else { return nil }
            return ExifOrientation(rawValue: Int(value))
        }
        return nil
    }

    /// The upright image: `rgb` (width x height, 3 bytes per pixel, rows packed)
    /// turned as this orientation says. Rotations by 90 degrees swap the sides.
    func apply(rgb: [UInt8], width: Int, height: Int) -> (rgb: [UInt8], width: Int, height: Int) {
        precondition(rgb.count == width * height * 3, "pixel buffer does not match its size")
        if self == .upright { return (rgb, width, height) }
        let swapsSides = rawValue >= 5
        let outWidth = swapsSides ? height : width
        let outHeight = swapsSides ? width : height
        // For each output pixel (x, y), the stored pixel it shows.
        let source: (Int, Int) -> (Int, Int)
        switch self {
        case .upright: source = { x, y in (x, y) }
        case .mirrored: source = { x, y in (width - 1 - x, y) }
        case .rotated180: source = { x, y in (width - 1 - x, height - 1 - y) }
        case .flippedVertically: source = { x, y in (x, height - 1 - y) }
        case .transposed: source = { x, y in (y, x) }
        case .rotated90Clockwise: source = { x, y in (y, height - 1 - x) }
        case .transverse: source = { x, y in (width - 1 - y, height - 1 - x) }
        case .rotated90CounterClockwise: source = { x, y in (width - 1 - y, x) }
        }
        var out = [UInt8](repeating: 0, count: rgb.count)
        for y in 0..<outHeight {
            for x in 0..<outWidth {
                let (sx, sy) = source(x, y)
                let from = (sy * width + sx) * 3
                let to = (y * outWidth + x) * 3
                out[to] = rgb[from]
                out[to + 1] = rgb[from + 1]
                out[to + 2] = rgb[from + 2]
            }
        }
        return (out, outWidth, outHeight)
    }
}

/// Bounds-checked reads from a byte buffer: every read past the end is nil.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    var count: Int { bytes.count }

    func uint8(_ offset: Int) -> UInt8? {
        offset >= 0 && offset < bytes.count ? bytes[offset] : nil
    }

    func uint16(_ offset: Int, bigEndian: Bool) -> UInt16? {
        guard let a = uint8(offset), let b = uint8(offset + 1) else { return nil }
        return bigEndian ? UInt16(a) << 8 | UInt16(b) : UInt16(b) << 8 | UInt16(a)
    }

    func uint32(_ offset: Int, bigEndian: Bool) -> UInt32? {
        guard let high = uint16(offset + (bigEndian ? 0 : 2), bigEndian: bigEndian),
              let low = uint16(offset + (bigEndian ? 2 : 0), bigEndian: bigEndian) else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    /// Bytes [start, end) as their own reader (offsets relative to start).
    func slice(_ start: Int, _ end: Int) -> ByteReader? {
        guard start >= 0, start <= end, end <= bytes.count else { return nil }
        return ByteReader(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
    }
}
