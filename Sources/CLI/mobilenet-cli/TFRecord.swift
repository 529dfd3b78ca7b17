/// TFRecord files (tensorflow/core/lib/io/record_writer.cc), read without
/// TensorFlow: each record is
///   uint64 length, uint32 masked CRC32C of the length's 8 bytes,
///   length bytes of data, uint32 masked CRC32C of the data,
/// little-endian. Both checksums are verified, so a truncated or corrupted
/// shard is refused with the record's number and offset rather than read as
/// garbage images.
enum TFRecord {
    /// TF-Slim shards are at most a few hundred MB; the whole file is read at once.
    static let maxFileBytes = 8 << 30

    /// The records of the file at `path`, each as byte ranges into `bytes`.
    static func records(_ bytes: [UInt8], name: String) throws -> [Range<Int>] {
        try bytes.withUnsafeBytes { file in
            var ranges: [Range<Int>] = []
            var offset = 0
            while offset < file.count {
                let number = ranges.count
                func fail(_ what: String) -> CLIError {
                    CLIError("\(name): record \(number) at byte \(offset): \(what) (not a TFRecord file, or corrupted)")
                }
                guard file.count - offset >= 12 else { throw fail("truncated header") }
                let length = load64(file, offset)
                guard maskedCRC(file, offset..<offset + 8) == load32(file, offset + 8) else {
                    throw fail("length checksum mismatch")
                }
                let rest = file.count - offset - 12  // the data and its checksum
                guard rest >= 4, length <= UInt64(rest - 4) else {
                    throw fail("length \(length) runs past the end of the file")
                }
                let data = offset + 12..<offset + 12 + Int(length)
                guard maskedCRC(file, data) == load32(file, data.upperBound) else { throw fail("data checksum mismatch") }
                ranges.append(data)
                offset = data.upperBound + 4
            }
            return ranges
        }
    }

    private static func load64(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(p[at + $1]) << UInt64(8 * $1) }
    }

    private static func load32(_ p: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(p[at + $1]) << UInt32(8 * $1) }
    }

    /// TFRecord's masking (crc32c.h): rotate right by 15 and add a constant,
    /// because a CRC of data that holds CRCs is weak.
    static func maskedCRC(_ p: UnsafeRawBufferPointer, _ range: Range<Int>) -> UInt32 {
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[range]))
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
