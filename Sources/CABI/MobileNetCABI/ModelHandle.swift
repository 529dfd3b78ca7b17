#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMobileNetHeader
import MobileNet

/// What a `mobilenet_model *` points to: the core model plus its labels as C
/// strings, which live exactly as long as the handle.
final class ModelHandle {
    let model: Model
    private let labelBytes: UnsafeMutableBufferPointer<CChar>?
    private let labelOffsets: [Int]

    /// The label bytes come from malloc: they may be as large as the model
    /// header (64 MiB), and Swift's allocator aborts the host on failure.
    init(model: Model) throws {
        self.model = model
        if let labels = model.labels {
            var total = 0
            for label in labels {
                // Each label is shorter than the 64 MiB header: no overflow.
                total += label.utf8.count + 1
            }
            guard let raw = malloc(max(total, 1)) else {
                throw MobileNetError(.outOfMemory, "cannot allocate \(total) bytes for the labels")
            }
            let bytes = UnsafeMutableBufferPointer(start: raw.assumingMemoryBound(to: CChar.self), count: total)
            var offsets: [Int] = []
            offsets.reserveCapacity(labels.count)  // at most Architecture.maxClasses = 100,000
            var cursor = 0
            for label in labels {
                offsets.append(cursor)
                for byte in label.utf8 {
                    bytes[cursor] = CChar(bitPattern: byte)
                    cursor += 1
                }
                bytes[cursor] = 0
                cursor += 1
            }
            labelBytes = bytes
            labelOffsets = offsets
        } else {
            labelBytes = nil
            labelOffsets = []
        }
    }

    deinit { free(labelBytes?.baseAddress) }

    func label(_ index: Int) -> UnsafePointer<CChar>? {
        guard let base = labelBytes?.baseAddress, labelOffsets.indices.contains(index) else { return nil }
        return UnsafePointer(base + labelOffsets[index])
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passRetained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer) -> ModelHandle {
        Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }

    static func release(_ pointer: OpaquePointer) {
        Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(pointer)).release()
    }
}

/// The handle behind a model argument, or an INVALID_ARGUMENT error for NULL.
func handle(_ pointer: OpaquePointer?) throws -> ModelHandle {
    guard let pointer else { throw invalidArgument("model is NULL") }
    return ModelHandle.from(pointer)
}
