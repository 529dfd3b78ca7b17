/// Where the compile step reads canonical parameters: TF-Slim's tensors by
/// name, BatchNorm unfolded (gamma, beta, moving_mean, moving_variance),
/// float32, every value finite. A model file is one source (read lazily, so a
/// large matrix streams into its packed layout without a second dense copy);
/// parameters held in memory (a trainer's, tests') are another, and both
/// compile to the same bits.
protocol ParameterReader {
    /// The whole tensor `name` in row-major order.
    func tensor(_ name: String) throws -> AlignedBuffer
    /// Calls `body(row, values)` for each row of a rows x columns tensor.
    func forEachRow(_ name: String, rows: Int, columns: Int,
                    _ body: (Int, UnsafeMutablePointer<Float>) throws -> Void) throws
}

/// Canonical parameters held in memory, by TF-Slim name: readable and
/// writable, the form a trainer keeps and checkpoints.
final class CanonicalParameters: ParameterReader {
    private(set) var tensors: [String: (shape: [Int], values: [Float])] = [:]

    init() {}

    /// Copies every tensor `architecture` needs from `reader`.
    convenience init(architecture: Architecture, from reader: ParameterReader) throws {
        self.init()
        for (name, shape) in NetworkCompiler.expectedTensors(architecture) {
            let buffer = try reader.tensor(name)
            let count = shape.reduce(1, *)
            set(name, shape: shape, values: Array(UnsafeBufferPointer(start: buffer.pointer, count: count)))
        }
    }

    func set(_ name: String, shape: [Int], values: [Float]) {
        tensors[name] = (shape, values)
    }

    func tensor(_ name: String) throws -> AlignedBuffer {
        guard let entry = tensors[name] else { throw MobileNetError.format("tensor '\(name)' is missing") }
        let buffer = try AlignedBuffer(count: entry.values.count, zeroed: false)
        for (i, value) in entry.values.enumerated() {
            guard value.isFinite else {
                throw MobileNetError.format("tensor '\(name)' holds a NaN or infinite value at element \(i)")
            }
            buffer.pointer[i] = value
        }
        return buffer
    }

    func forEachRow(_ name: String, rows: Int, columns: Int,
                    _ body: (Int, UnsafeMutablePointer<Float>) throws -> Void) throws {
        let whole = try tensor(name)
        guard whole.count == rows * columns else {
            throw MobileNetError(.internal, "tensor '\(name)' has \(whole.count) values, not \(rows) x \(columns)")
        }
        for row in 0..<rows { try body(row, whole.pointer + row * columns) }
    }
}
