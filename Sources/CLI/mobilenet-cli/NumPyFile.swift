/// NumPy's .npy format, version 1.0 (numpy/lib/format.py): the magic
/// "\x93NUMPY", version 1 0, a little-endian uint16 header length, a Python
/// dict literal padded with spaces to a multiple of 64 bytes and ended by a
/// newline, then the data in C order. Written by hand: the CLI has no NumPy.
enum NumPyFile {
    /// A rows x columns little-endian float32 matrix.
    static func float32Matrix(_ values: [Float], rows: Int, columns: Int) -> [UInt8] {
        precondition(values.count == rows * columns)
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values {
            let bits = value.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return bytes
    }
}
