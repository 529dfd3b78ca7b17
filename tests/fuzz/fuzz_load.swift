// Fuzz target "load": the input is a model file. It goes to
// mobilenet_model_load_memory through the C ABI; a failure must leave
// out_model untouched, say why (mobilenet_last_error) and be FORMAT,
// UNSUPPORTED or OUT_OF_MEMORY (never INTERNAL or a crash). A model that
// loads is exercised: info, labels, a run at 8x8 and 1x1 and (if its
// resolution is small) a classification, then freed.
// Seeds: tests/corpus/{good,bad}; dictionary: tests/fuzz/load.dict.
import CMobileNetHeader
#if canImport(Glibc)
import Glibc
#endif

private let sentinel = OpaquePointer(bitPattern: 0x5e47)!

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoad(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var options = mobilenet_options()
    mobilenet_options_init(&options)
    // Single-threaded: a worker pool's spinning would cost a third of the
    // executions per second (the soak tests cover the pool).
    options.num_threads = 1
    var model: OpaquePointer? = sentinel
    let status = mobilenet_model_load_memory(data, size, &options, &model)
    if status != MOBILENET_OK {
        let allowed = data == nil ? [MOBILENET_ERROR_INVALID_ARGUMENT]
            : [MOBILENET_ERROR_FORMAT, MOBILENET_ERROR_UNSUPPORTED, MOBILENET_ERROR_OUT_OF_MEMORY]
        expect(status, in: allowed, "mobilenet_model_load_memory(\(size) bytes)")
        require(model == sentinel, "a failed load wrote out_model")
        return 0
    }
    expect(status, in: [MOBILENET_OK], "mobilenet_model_load_memory")
    guard let model, model != sentinel else { fail("load succeeded without a model") }
    exercise(model)
    mobilenet_model_free(model)
    return 0
}

private func exercise(_ model: OpaquePointer) {
    let classes = Int(mobilenet_model_num_classes(model))
    require((1...100_000).contains(classes), "num_classes \(classes)")

    var info = mobilenet_info()
    info.struct_size = MemoryLayout<mobilenet_info>.size
    expect(mobilenet_model_info(model, &info), in: [MOBILENET_OK], "mobilenet_model_info")
    require(Int(info.num_classes) == classes, "info.num_classes \(info.num_classes) != \(classes)")
    require((1...4096).contains(info.resolution), "info.resolution \(info.resolution)")
    require((1...Int32(MOBILENET_MAX_LAYERS)).contains(info.num_layers), "info.num_layers \(info.num_layers)")
    require(info.width_multiplier > 0 && info.width_multiplier <= 4, "info.width_multiplier")

    // Labels: all present or all absent; out of range is NULL.
    require(mobilenet_model_label(model, -1) == nil, "label(-1) is not NULL")
    require(mobilenet_model_label(model, Int32(classes)) == nil, "label(num_classes) is not NULL")
    let hasLabels = mobilenet_model_label(model, 0) != nil
    for i in [0, classes / 2, classes - 1] {
        require((mobilenet_model_label(model, Int32(i)) != nil) == hasLabels, "labels present for some classes only")
    }

    // Runs at small sizes: exact buffers (ASan redzones at both ends).
    for (batch, h, w) in [(1, 8, 8), (2, 1, 1), (1, 3, 5)] {
        let inputCount = batch * h * w * 3, logitCount = batch * classes
        let input = Buffer(bytes: inputCount * 4)!
        let inputFloats = input.typed(Float.self)
        for i in 0..<inputCount { inputFloats[i] = Float(i % 17) / 8 - 1 }
        let logits = Buffer(bytes: logitCount * 4, fill: 0xFF)!
        expect(mobilenet_model_run(model, inputFloats, Int32(batch), Int32(h), Int32(w),
                                   logits.typed(Float.self), logitCount),
               in: [MOBILENET_OK], "mobilenet_model_run(\(batch)x\(h)x\(w))")
        for i in 0..<logitCount {
            // Only all-ones (the fill) would mean "not written"; finite weights can
            // still give infinite logits, which is not a memory error.
            require(logits.typed(UInt32.self)[i] != 0xFFFF_FFFF, "logit \(i) of \(logitCount) not written")
        }
    }

    // Classification at the model's resolution, if that is cheap.
    if info.resolution <= 64 {
        let width = 5, height = 3, stride = 17
        let image = Buffer(bytes: (height - 1) * stride + width * 3)!
        for i in 0..<image.bytes { image.typed(UInt8.self)[i] = UInt8(truncatingIfNeeded: i &* 37) }
        let k = min(classes, 5)
        let predictions = Buffer(bytes: k * MemoryLayout<mobilenet_prediction>.stride, fill: 0xA5)!
        let p = predictions.typed(mobilenet_prediction.self)
        expect(mobilenet_model_classify_rgb8(model, image.typed(UInt8.self), Int32(width), Int32(height), stride,
                                             Int32(k), p),
               in: [MOBILENET_OK], "mobilenet_model_classify_rgb8")
        checkPredictions(model, p, k: k, classes: classes)
    }
}
