import CMobileNetHeader
import MobileNet

/// What a `mobilenet_model *` points to: the core model plus its labels as C
/// strings, which live exactly as long as the handle.
final class ModelHandle {
    let model: Model
    private let labelBytes: UnsafeMutableBufferPointer<CChar>?
    private let labelOffsets: [Int]

    init(model: Model) {
        self.model = model
        if let labels = model.labels {
            let total = labels.reduce(0) { $0 + $1.utf8.count + 1 }
            let bytes = UnsafeMutableBufferPointer<CChar>.allocate(capacity: total)
            var offsets: [Int] = []
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

    deinit { labelBytes?.deallocate() }

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
