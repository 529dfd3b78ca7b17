#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-byte aligned, zeroed buffer of integers (the 8-bit operators' packed
/// weights and requantization tables) whose allocation failure is an error,
/// like AlignedBuffer's floats.
final class AlignedArray<Element: FixedWidthInteger> {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int) throws {
        guard count >= 0 else { throw MobileNetError(.internal, "array of \(count) elements") }
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard !overflow else { throw MobileNetError(.outOfMemory, "array of \(count) elements is too large") }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw MobileNetError(.outOfMemory, "cannot allocate \(bytes) bytes")
        }
        memset(raw, 0, bytes)
        pointer = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        self.count = count
    }

    convenience init(_ values: [Element], count: Int) throws {
        try self.init(count: count)
        for (i, v) in values.prefix(count).enumerated() { pointer[i] = v }
    }

    deinit { free(pointer) }
}
