import CMobileNetHeader
import MobileNet

/// The prefix rule for structs that grow (header: "Growth"): a caller's
/// struct_size may be anything from the first released size to the current
/// one. Reading copies the caller's prefix over the defaults; writing stores
/// only the caller's prefix.
enum StructSize {
    /// Checks `size` against [first, current] for struct `name`.
    static func check(_ size: Int, first: Int, current: Int, name: StaticString) throws {
        guard size >= first, size <= current else {
            throw MobileNetError(.invalidArgument, "\(name)->struct_size is \(size); this library takes "
                                 + "\(first) (its first released size) to \(current) (sizeof(\(name)) in 0.3.0); set it "
                                 + "with the init function or to sizeof")
        }
    }

    /// `defaults` with the first `size` bytes taken from `caller`.
    static func read<T>(_ caller: UnsafePointer<T>, size: Int, over defaults: T) -> T {
        var value = defaults
        withUnsafeMutableBytes(of: &value) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(caller), count: size))
        }
        return value
    }

    /// Stores the first `size` bytes of `value` at `caller`.
    static func write<T>(_ value: T, to caller: UnsafeMutablePointer<T>, size: Int) {
        withUnsafeBytes(of: value) { src in
            UnsafeMutableRawPointer(caller).copyMemory(from: src.baseAddress!, byteCount: size)
        }
    }
}
