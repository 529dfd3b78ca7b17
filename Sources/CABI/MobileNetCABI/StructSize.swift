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
                                 + "\(first) (its first released size) to \(current) (sizeof(\(name)) in this library); set it "
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

    /// Stores the first `size` bytes of `defaults` at `caller`, with
    /// struct_size (every growing struct's first field) set to `size`.
    static func fill<T>(_ caller: UnsafeMutablePointer<T>, with defaults: T, size: Int) {
        var value = defaults
        withUnsafeMutableBytes(of: &value) { $0.storeBytes(of: size, toByteOffset: 0, as: Int.self) }
        write(value, to: caller, size: size)
    }

    /// An `*_init_sized` call: `size` checked against [first, sizeof], then `fill`.
    static func initSized<T>(_ caller: UnsafeMutablePointer<T>?, size: Int, first: Int, name: StaticString,
                             defaults: T) throws {
        guard let caller else { throw MobileNetError(.invalidArgument, "options is NULL") }
        try check(size < 0 ? Int.max : size, first: first, current: MemoryLayout<T>.size, name: name)
        fill(caller, with: defaults, size: size)
    }

    /// A caller's struct: its struct_size checked, its prefix over `defaults`.
    static func readSized<T>(_ caller: UnsafePointer<T>, first: Int, name: StaticString, defaults: T) throws -> T {
        let size = UnsafeRawPointer(caller).load(as: Int.self)
        try check(size, first: first, current: MemoryLayout<T>.size, name: name)
        return read(caller, size: size, over: defaults)
    }
}
