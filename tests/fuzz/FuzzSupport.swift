// Shared by the fuzz targets (compiled into each): a reader that turns fuzz
// bytes into hostile argument values, buffers whose ends fault, "trap"
// pointers that fault on any access, and the invariant checks.
import CMobileNetHeader
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Failing

/// Reports a broken invariant and aborts, which libFuzzer records as a crash.
func fail(_ message: String) -> Never {
    fputs("FUZZ INVARIANT BROKEN: \(message)\n", stderr)
    abort()
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

func statusName(_ s: mobilenet_status) -> String {
    switch s {
    case MOBILENET_OK: return "OK"
    case MOBILENET_ERROR_INVALID_ARGUMENT: return "INVALID_ARGUMENT"
    case MOBILENET_ERROR_IO: return "IO"
    case MOBILENET_ERROR_FORMAT: return "FORMAT"
    case MOBILENET_ERROR_UNSUPPORTED: return "UNSUPPORTED"
    case MOBILENET_ERROR_OUT_OF_MEMORY: return "OUT_OF_MEMORY"
    case MOBILENET_ERROR_BUFFER_TOO_SMALL: return "BUFFER_TOO_SMALL"
    case MOBILENET_ERROR_INTERNAL: return "INTERNAL"
    default: return "status \(s.rawValue)"
    }
}

var lastError: String { String(cString: mobilenet_last_error()) }

/// Checks a status against the allowed ones and mobilenet_last_error against
/// the status ("" exactly after success).
func expect(_ status: mobilenet_status, in allowed: [mobilenet_status], _ call: @autoclosure () -> String) {
    let message = lastError
    guard allowed.contains(status) else {
        fail("\(call()) returned \(statusName(status)) (\"\(message)\"), expected one of \(allowed.map(statusName))")
    }
    if status == MOBILENET_OK {
        require(message.isEmpty, "\(call()) succeeded but mobilenet_last_error is \"\(message)\"")
    } else {
        require(!message.isEmpty, "\(call()) failed with \(statusName(status)) but mobilenet_last_error is empty")
        require(status != MOBILENET_ERROR_INTERNAL, "\(call()): INTERNAL error \"\(message)\"")
    }
}

// MARK: - Results

/// Every one of the k entries written: distinct valid classes, probabilities
/// in [0, 1] in non-increasing order, the model's own label pointers.
func checkPredictions(_ model: OpaquePointer, _ p: UnsafeMutablePointer<mobilenet_prediction>, k: Int,
                      classes: Int) {
    var seen = Set<Int32>()
    for r in 0..<k {
        let e = p[r]
        require((0..<Int32(classes)).contains(e.class_index),
                "prediction \(r) of \(k): class_index \(e.class_index) (entry not written?)")
        require(seen.insert(e.class_index).inserted, "prediction \(r): class \(e.class_index) repeated")
        require(e.probability >= 0 && e.probability <= 1, "prediction \(r): probability \(e.probability)")
        if r > 0 { require(e.probability <= p[r - 1].probability, "predictions not in order") }
        require(e.label == mobilenet_model_label(model, e.class_index), "prediction \(r): label pointer")
    }
}

// MARK: - Memory

let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

/// A pointer into the middle of 1 MiB of PROT_NONE memory: passed where the
/// library must reject the call before touching the buffer, so any access
/// (read or write, within half a MiB either way) is a SEGV.
let trapPointer: UnsafeMutableRawPointer = {
    let size = 1 << 20
    guard let base = mmap(nil, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
          base != UnsafeMutableRawPointer(bitPattern: -1) else { fail("cannot map the trap region") }
    return base + size / 2
}()

/// A buffer of exactly `bytes` bytes. Up to `heapLimit` it comes from
/// malloc (AddressSanitizer's redzones catch overruns at either end); above,
/// from an anonymous mapping placed so that the buffer ends exactly at a
/// PROT_NONE guard page (untouched pages cost nothing, so buffers of many
/// GiB are cheap as long as the library reads few of their bytes).
final class Buffer {
    static let heapLimit = 1 << 20
    let pointer: UnsafeMutableRawPointer
    let bytes: Int
    private let mapBase: UnsafeMutableRawPointer?
    private let mapSize: Int

    init?(bytes: Int, fill: UInt8? = nil) {
        precondition(bytes > 0)
        self.bytes = bytes
        if bytes <= Buffer.heapLimit {
            pointer = malloc(bytes)!
            mapBase = nil
            mapSize = 0
            if let fill { memset(pointer, Int32(fill), bytes) }
        } else {
            let dataPages = (bytes + pageSize - 1) / pageSize
            mapSize = (dataPages + 2) * pageSize
            guard let base = mmap(nil, mapSize, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
                  base != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
            mprotect(base, pageSize, PROT_NONE)
            mprotect(base + (dataPages + 1) * pageSize, pageSize, PROT_NONE)
            mapBase = base
            pointer = base + (dataPages + 1) * pageSize - bytes
            // Left as zero pages: filling would touch (and commit) every page.
        }
    }

    deinit {
        if let mapBase { munmap(mapBase, mapSize) } else { free(pointer) }
    }

    func typed<T>(_: T.Type) -> UnsafeMutablePointer<T> { pointer.assumingMemoryBound(to: T.self) }
}

// MARK: - Reading fuzz bytes

/// Turns fuzz bytes into argument values, biased towards the ones that
/// matter at boundaries (0, 1, -1, limits, limits +- 1, overflow points).
/// Past the end of the data every read gives 0.
struct FuzzReader {
    let data: UnsafePointer<UInt8>?
    let count: Int
    var index = 0

    init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        self.data = data
        self.count = data == nil ? 0 : count
    }

    var isAtEnd: Bool { index >= count }

    mutating func byte() -> UInt8 {
        guard index < count, let data else { return 0 }
        defer { index += 1 }
        return data[index]
    }

    mutating func raw<T: FixedWidthInteger>(_: T.Type) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(truncatingIfNeeded: byte()) << (8 * i) }
        return value
    }

    static let int32Specials: [Int32] = [
        0, 1, -1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 224, 255, 256,
        257, 1000, 1024, 4095, 4096, 4097, 8192, 46340, 46341, 65535, 65536, 65537, 99999, 100000, 100001,
        1 << 20, 1 << 24, 1 << 30, -(1 << 30), .max, .max - 1, .min, .min + 1, -2, -4096, -65536,
    ]

    /// An Int32: a special value, a small one, or 4 raw bytes.
    mutating func int32() -> Int32 {
        let b = Int(byte())
        if b < FuzzReader.int32Specials.count { return FuzzReader.int32Specials[b] }
        if b < 224 { return Int32(b - FuzzReader.int32Specials.count) }
        return raw(Int32.self)
    }

    static let sizeSpecials: [UInt64] = [
        0, 1, 2, 3, 4, 8, 9, 10, 11, 40, 64, 96, 4096, 65536, 1 << 31, 1 << 32, (1 << 32) - 1, 1 << 40,
        1 << 62, UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64(Int64.max) - 1, .max, .max - 1,
        UInt64(Int64.max / 3), UInt64(Int64.max / 2) + 1, 0x5555_5555_5555_5556,
    ]

    /// A size_t bit pattern: a special value, a small one, or 8 raw bytes.
    mutating func size() -> UInt64 {
        let b = Int(byte())
        if b < FuzzReader.sizeSpecials.count { return FuzzReader.sizeSpecials[b] }
        if b < 224 { return UInt64(b - FuzzReader.sizeSpecials.count) }
        return raw(UInt64.self)
    }

    static let floatSpecials: [Float] = [
        0, -0.0, 1, 0.5, 0.875, 0.25, 0.75, 1.4, 2, 4, Float(4).nextUp, Float(1).nextUp, Float(1).nextDown,
        4.5, -1, .infinity, -.infinity, .nan, -.nan, .signalingNaN, .leastNonzeroMagnitude,
        .leastNormalMagnitude, 1e-30, 1e-20, 1e-10, 1e-7, 0.001, 0.01, 0.1, 0.3, 0.99, .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, 1e10,
    ]

    mutating func float() -> Float {
        let b = Int(byte())
        if b < FuzzReader.floatSpecials.count { return FuzzReader.floatSpecials[b] }
        if b < 200 { return Float(b) / 199 }
        return Float(bitPattern: raw(UInt32.self))
    }
}
