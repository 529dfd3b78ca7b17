// Fuzz target "load_path": a model file loaded from its path, with a file
// size the input chooses. The input is an 8-byte little-endian size word,
// then the file's bytes; the file is written to /dev/shm (tmpfs takes
// sparse files up to 2^63 - 1 bytes; else TMPDIR) and extended with
// ftruncate to the size the word asks for, so the loader sees a file of up
// to Int64.max bytes that is almost all holes:
//   word 0                   the bytes as they are
//   top bit clear            the bytes + (word & 0xFFFF) zero bytes
//   top bit set              word & 0x7FFF_FFFF_FFFF_FFFF bytes (at least the bytes)
// A load must return FORMAT, UNSUPPORTED or OUT_OF_MEMORY, or succeed; a
// size product overflowing on such a file used to be a Swift trap (SIGILL).
// Seeds: tests/corpus/{good,bad} with size words prefixed (run.sh makes them).
import CMobileNetHeader
#if canImport(Glibc)
import Glibc
#endif

private let sentinel = OpaquePointer(bitPattern: 0x5e47)!

private let path: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
    let path = "\(directory)/mobilenet-fuzz-load-path-\(getpid()).safetensors"
    atexit { unlink(FuzzLoadPath.name) }
    return path
}()

enum FuzzLoadPath {
    nonisolated(unsafe) static var name: [CChar] = []
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoadPath(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 8 else { return 0 }
    if FuzzLoadPath.name.isEmpty { FuzzLoadPath.name = Array(path.utf8CString) }
    var word: UInt64 = 0
    for i in 0..<8 { word |= UInt64(data[i]) << (8 * UInt64(i)) }
    let content = size - 8
    let fileSize: Int64
    if word == 0 {
        fileSize = Int64(content)
    } else if word >> 63 == 0 {
        fileSize = Int64(content) + Int64(word & 0xFFFF)
    } else {
        fileSize = max(Int64(content), Int64(bitPattern: word & 0x7FFF_FFFF_FFFF_FFFF))
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    require(fd >= 0, "cannot create \(path)")
    var written = 0
    while written < content {
        let n = write(fd, data + 8 + written, content - written)
        require(n > 0, "cannot write \(path)")
        written += n
    }
    let extended = ftruncate(fd, off_t(fileSize)) == 0
    close(fd)
    if !extended { return 0 }  // the file system refused the size (EFBIG): nothing to test

    var options = mobilenet_options()
    mobilenet_options_init(&options)
    options.num_threads = 1
    var model: OpaquePointer? = sentinel
    let status = mobilenet_model_load(path, &options, &model)
    if status != MOBILENET_OK {
        expect(status, in: [MOBILENET_ERROR_FORMAT, MOBILENET_ERROR_UNSUPPORTED, MOBILENET_ERROR_OUT_OF_MEMORY],
               "mobilenet_model_load(\(content) bytes in a file of \(fileSize))")
        require(model == sentinel, "a failed load wrote out_model")
        return 0
    }
    guard let model, model != sentinel else { fail("load succeeded without a model") }
    let classes = Int(mobilenet_model_num_classes(model))
    require((1...100_000).contains(classes), "num_classes \(classes)")
    // Safetensors must end at its last tensor; a .tflite may carry bytes
    // after its flatbuffer (TFLite metadata appends a zip there).
    let isTFLite = content >= 8 && Array(UnsafeBufferPointer(start: data + 12, count: 4)) == Array("TFL3".utf8)
    require(isTFLite || Int64(content) == fileSize,
            "a file with \(fileSize - Int64(content)) bytes past its tensors loaded")
    mobilenet_model_free(model)
    return 0
}
