#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-byte aligned float buffer whose allocation failure is an error the
/// caller can report (Swift's own allocator aborts the process instead).
final class AlignedBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, zeroed: Bool = true) throws {
        guard count >= 0 else { throw MobileNetError(.internal, "buffer of \(count) floats") }
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow else { throw MobileNetError(.outOfMemory, "buffer of \(count) floats is too large") }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw MobileNetError(.outOfMemory, "cannot allocate \(bytes) bytes")
        }
        if zeroed { memset(raw, 0, bytes) }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { free(pointer) }
}
