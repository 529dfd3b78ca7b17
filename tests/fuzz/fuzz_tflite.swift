// Fuzz target "tflite": the input is a TFLite flatbuffer. Bytes 4..<8 are
// forced to the "TFL3" identifier, so every input reaches the .tflite parser
// and verifier (fuzz_load spends most of its inputs on safetensors). The
// rest is as fuzz_load: a failure must leave out_model untouched, say why
// and be FORMAT, UNSUPPORTED or OUT_OF_MEMORY; a model that loads is run.
// Seeds: tests/fixtures/tflite's α 0.25 files and any .tflite in tests/corpus.
import CMobileNetHeader
#if canImport(Glibc)
import Glibc
#endif

private let sentinel = OpaquePointer(bitPattern: 0x5e47)!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFLite(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 8 else { return 0 }
    // An exact-size copy, so AddressSanitizer sees any read past the end.
    let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
    defer { copy.deallocate() }
    copy.update(from: data, count: size)
    for (i, byte) in "TFL3".utf8.enumerated() { copy[4 + i] = byte }
    var options = mobilenet_options()
    mobilenet_options_init(&options)
    options.num_threads = 1
    var model: OpaquePointer? = sentinel
    let status = mobilenet_model_load_memory(copy, size, &options, &model)
    if status != MOBILENET_OK {
        expect(status, in: [MOBILENET_ERROR_FORMAT, MOBILENET_ERROR_UNSUPPORTED, MOBILENET_ERROR_OUT_OF_MEMORY],
               "mobilenet_model_load_memory(\(size) bytes of TFLite)")
        require(model == sentinel, "a failed load wrote out_model")
        require(String(cString: mobilenet_last_error()).count > 0, "a failed load gave no message")
        return 0
    }
    guard let model, model != sentinel else { fail("load succeeded without a model") }
    let precision = mobilenet_model_precision(model)
    require([MOBILENET_PRECISION_FLOAT32, MOBILENET_PRECISION_INT8, MOBILENET_PRECISION_UINT8].contains(precision),
            "precision \(precision)")
    let classes = Int(mobilenet_model_num_classes(model))
    require((1...100_000).contains(classes), "num_classes \(classes)")
    for (h, w) in [(8, 8), (1, 1), (3, 5)] {
        let count = h * w * 3
        let input = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: classes)
        defer { input.deallocate(); logits.deallocate() }
        for i in 0..<count { input[i] = Float(i % 17) / 8 - 1 }
        expect(mobilenet_model_run(model, input, 1, Int32(h), Int32(w), logits, classes), in: [MOBILENET_OK],
               "mobilenet_model_run(\(h)x\(w))")
    }
    mobilenet_model_free(model)
    return 0
}
