/// Canonical parameters read from a checked safetensors file, tensor by
/// tensor: every value decoded from little-endian and checked finite as it
/// is read. The tensor set and shapes are checked first (`checkTensorSet`).
struct SafeTensorsParameters: ParameterReader {
    let source: ByteSource
    let header: SafeTensorsHeader

    /// Every tensor `architecture` needs must be present with dtype F32 and
    /// the exact shape the width multiplier and class count imply, and
    /// nothing else may be.
    func checkTensorSet(_ architecture: Architecture) throws {
        let expected = NetworkCompiler.expectedTensors(architecture)
        for (name, shape) in expected {
            guard let entry = header.entries[name] else {
                throw MobileNetError.format(
                    "tensor '\(name)' is missing (expected for a \(architecture.variant.name) network)")
            }
            guard entry.dtype == "F32" else {
                throw MobileNetError(.unsupported, "tensor '\(name)' has dtype \(entry.dtype); only F32 is supported")
            }
            guard entry.shape == shape else {
                throw MobileNetError.format(
                    "tensor '\(name)' has shape \(entry.shape) but width multiplier \(architecture.widthMultiplier) and \(architecture.numClasses) classes need \(shape)")
            }
        }
        if header.entries.count != expected.count {
            let shapes = Dictionary(expected, uniquingKeysWith: { a, _ in a })
            // A trainer's checkpoint also holds optimizer slots (docs/training.md): a model ignores them.
            let isCheckpoint = header.metadata[Trainer.checkpointKey] != nil
            for name in header.entries.keys.sorted() where shapes[name] == nil {
                if isCheckpoint, let entry = header.entries[name], isOptimizerSlot(name, entry, shapes) { continue }
                throw MobileNetError.format("unexpected tensor '\(name)' for a \(architecture.variant.name) network")
            }
        }
    }

    /// "<variable>/<slot>" of the variable's shape, or Adam's scalar beta powers.
    private func isOptimizerSlot(_ name: String, _ entry: SafeTensorsHeader.Entry, _ shapes: [String: [Int]]) -> Bool {
        guard entry.dtype == "F32" else { return false }
        if OptimizerRule.betaPowerNames.contains(name) { return entry.shape == [] }
        guard let slash = name.lastIndex(of: "/") else { return false }
        let suffix = String(name[name.index(after: slash)...])
        guard OptimizerRule.allSlotSuffixes.contains(suffix), let shape = shapes[String(name[..<slash])] else { return false }
        return entry.shape == shape
    }

    private func entry(_ name: String) throws -> SafeTensorsHeader.Entry {
        guard let entry = header.entries[name] else { throw MobileNetError.format("tensor '\(name)' is missing") }
        return entry
    }

    func tensor(_ name: String) throws -> AlignedBuffer {
        let entry = try entry(name)
        let count = (entry.end - entry.begin) / 4
        let buffer = try AlignedBuffer(count: count, zeroed: false)
        try source.read(offset: entry.begin, count: entry.end - entry.begin, into: buffer.pointer)
        try decode(buffer.pointer, count: count, tensor: name, firstElement: 0)
        return buffer
    }

    /// Streams through a small buffer: large matrices are packed without a
    /// whole second copy in memory (peak RSS of a C classify 35 -> 29 MiB).
    func forEachRow(_ name: String, rows: Int, columns: Int,
                    _ body: (Int, UnsafeMutablePointer<Float>) throws -> Void) throws {
        let entry = try entry(name)
        guard rows * columns * 4 == entry.end - entry.begin else {
            throw MobileNetError(.internal, "tensor '\(name)' is not \(rows) x \(columns) floats")
        }
        let rowsPerChunk = max(16384 / max(columns, 1), 1)
        let chunk = try AlignedBuffer(count: rowsPerChunk * columns, zeroed: false)
        var row = 0
        while row < rows {
            let count = min(rowsPerChunk, rows - row)
            try source.read(offset: entry.begin + row * columns * 4, count: count * columns * 4, into: chunk.pointer)
            try decode(chunk.pointer, count: count * columns, tensor: name, firstElement: row * columns)
            for r in 0..<count { try body(row + r, chunk.pointer + r * columns) }
            row += count
        }
    }

    /// Turns little-endian file floats into host floats in place, checking each is finite.
    private func decode(_ values: UnsafeMutablePointer<Float>, count: Int, tensor name: String,
                        firstElement: Int) throws {
        let raw = UnsafeRawPointer(values)
        for i in 0..<count {
            let value = Float(bitPattern: UInt32(littleEndian: raw.load(fromByteOffset: 4 * i, as: UInt32.self)))
            guard value.isFinite else {
                throw MobileNetError.format("tensor '\(name)' holds a NaN or infinite value at element \(firstElement + i)")
            }
            values[i] = value
        }
    }
}
