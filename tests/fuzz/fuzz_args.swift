// Fuzz target "args": hostile arguments for every function of the C ABI.
// A fixed small model (MOBILENET_FUZZ_MODEL, default: the
// fuzz_args_model.safetensors next to the executable, written by build.sh)
// is loaded once. Each input is a sequence of operations; each derives its
// arguments from the fuzz bytes (0, negative, huge, overflowing products,
// NULL), computes from the header's documented rules whether the call must
// succeed, and
//   - if it must fail, passes "trap" pointers (PROT_NONE memory) for every
//     buffer: the call must return the documented status without touching
//     them;
//   - if it must succeed, passes buffers of exactly the size the arguments
//     claim (heap with ASan redzones, or mappings ending at a guard page),
//     and checks the results.
import CMobileNetHeader
#if canImport(Glibc)
import Glibc
#endif

// MARK: - The fixed model

private func modelPath(_ file: String) -> String {
    if file == "fuzz_args_model.safetensors", let env = getenv("MOBILENET_FUZZ_MODEL") { return String(cString: env) }
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    require(n > 0, "cannot read /proc/self/exe")
    let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return dir + "/" + file
}

private func readFile(_ path: String) -> [UInt8] {
    guard let f = fopen(path, "rb") else { fail("cannot open the fuzz model \(path) (run tests/fuzz/build.sh)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

/// The fixed model's bytes (alpha 0.25, 32x32, 10 labelled classes).
private let modelBytes = readFile(modelPath("fuzz_args_model.safetensors"))
/// A much smaller one (alpha 0.01, 16x16, 7 classes) for the loads with
/// fuzzed options, which would otherwise dominate the run time.
private let smallModelBytes = readFile(modelPath("fuzz_args_small_model.safetensors"))

/// Models loaded here stay alive across inputs on purpose; tests/fuzz/lsan.supp
/// names this function (see there why LeakSanitizer would report them).
@inline(never)
private func load(_ bytes: [UInt8], threads: Int32, crop: Float) -> OpaquePointer {
    var options = mobilenet_options()
    mobilenet_options_init(&options)
    options.num_threads = threads
    options.crop_fraction = crop
    var model: OpaquePointer?
    let status = bytes.withUnsafeBytes {
        mobilenet_model_load_memory($0.baseAddress, $0.count, &options, &model)
    }
    expect(status, in: [MOBILENET_OK], "loading a fuzz model (threads \(threads), crop \(crop))")
    return model!
}

/// Loaded once, single-threaded (the thread pool is the soak tests' business;
/// its spinning would only slow the fuzzer down).
private let model: OpaquePointer = load(modelBytes, threads: 1, crop: 0)
private let classes = Int(mobilenet_model_num_classes(model))
private let resolution: Int = {
    var info = mobilenet_info()
    info.struct_size = MemoryLayout<mobilenet_info>.size
    expect(mobilenet_model_info(model, &info), in: [MOBILENET_OK], "mobilenet_model_info")
    return Int(info.resolution)
}()

/// Models of smallModelBytes loaded with fuzzed crop fractions, by the
/// fraction's bits (at most 16 kept).
private var optionModels: [UInt32: OpaquePointer] = [:]

// MARK: - Budgets

/// Valid calls whose buffers or work exceed these are skipped (counted).
private let maxImageBytes = 1 << 36         // virtual, mostly untouched
private let maxRunPixels = 1 << 12          // batch * height * width actually computed
private var skipped = 0

// MARK: - Operations

private func opClassify(_ r: inout FuzzReader) {
    let flags = r.byte()
    let m: OpaquePointer? = flags & 0x07 == 0 ? nil : model
    let rgbNull = flags & 0x18 == 0x18
    let predNull = flags & 0x60 == 0x60
    let width = r.int32(), height = r.int32()
    let mode = r.byte()
    let w3 = Int64(width) &* 3
    let stride: UInt64
    switch mode % 4 {
    case 0: stride = r.size()
    case 1: stride = UInt64(bitPattern: w3 &+ Int64(Int8(bitPattern: r.byte())))
    case 2: stride = UInt64(bitPattern: w3)
    default: stride = UInt64(bitPattern: w3 &* Int64(r.byte()))
    }
    var topK = r.int32()
    if mode & 0x10 != 0 { topK = Int32(classes) + Int32(Int8(bitPattern: r.byte()) % 3) }

    // The header's rules.
    var valid = m != nil && !rgbNull && !predNull
    valid = valid && (1...65536).contains(width) && (1...65536).contains(height)
    valid = valid && (1...Int32(classes)).contains(topK)
    var span: UInt64 = 0
    if valid {
        let w3u = UInt64(width) * 3
        let (rows, o1) = UInt64(height - 1).multipliedReportingOverflow(by: stride)
        let (total, o2) = rows.addingReportingOverflow(w3u)
        // A row_stride above SSIZE_MAX is "too large" even when height is 1.
        valid = stride >= w3u && stride <= UInt64(Int64.max) && !o1 && !o2 && total <= UInt64(Int64.max)
        span = total
    }
    let call = "classify_rgb8(model: \(m == nil ? "NULL" : "ok"), rgb: \(rgbNull ? "NULL" : "ok"), width: \(width), height: \(height), row_stride: \(stride), top_k: \(topK), predictions: \(predNull ? "NULL" : "ok"))"
    let strideArg = Int(bitPattern: UInt(stride))
    if !valid {
        let rgb = rgbNull ? nil : UnsafePointer(trapPointer.assumingMemoryBound(to: UInt8.self))
        let pred = predNull ? nil : trapPointer.assumingMemoryBound(to: mobilenet_prediction.self)
        expect(mobilenet_model_classify_rgb8(m, rgb, width, height, strideArg, topK, pred),
               in: [MOBILENET_ERROR_INVALID_ARGUMENT], call)
        return
    }
    guard span <= UInt64(maxImageBytes), let image = Buffer(bytes: Int(span), fill: r.byte()) else {
        skipped += 1
        return
    }
    let k = Int(topK)
    let predictions = Buffer(bytes: k * MemoryLayout<mobilenet_prediction>.stride, fill: 0xA5)!
    let p = predictions.typed(mobilenet_prediction.self)
    expect(mobilenet_model_classify_rgb8(m, image.typed(UInt8.self), width, height, strideArg, topK, p),
           in: [MOBILENET_OK], call)
    checkPredictions(model, p, k: k, classes: classes)
}

private func opRun(_ r: inout FuzzReader) {
    let flags = r.byte()
    let m: OpaquePointer? = flags & 0x07 == 0 ? nil : model
    let inputNull = flags & 0x18 == 0x18
    let logitsNull = flags & 0x60 == 0x60
    let batch = r.int32(), height = r.int32(), width = r.int32()
    let needed = Int64(batch) &* Int64(classes)
    let mode = r.byte()
    let capacity: UInt64
    switch mode % 4 {
    case 0: capacity = r.size()
    case 1: capacity = UInt64(bitPattern: needed &+ Int64(Int8(bitPattern: r.byte())))
    case 2: capacity = UInt64(bitPattern: needed)
    default: capacity = UInt64(bitPattern: needed &- 1)
    }
    let argsValid = m != nil && !inputNull && !logitsNull && (1...4096).contains(batch)
        && (1...4096).contains(height) && (1...4096).contains(width)
    let bigEnough = argsValid && capacity >= UInt64(needed)
    let call = "run(model: \(m == nil ? "NULL" : "ok"), input: \(inputNull ? "NULL" : "ok"), batch: \(batch), height: \(height), width: \(width), logits: \(logitsNull ? "NULL" : "ok"), capacity: \(capacity))"
    if !bigEnough {
        let input = inputNull ? nil : UnsafePointer(trapPointer.assumingMemoryBound(to: Float.self))
        let logits = logitsNull ? nil : trapPointer.assumingMemoryBound(to: Float.self)
        // With invalid arguments and a small capacity either status is fair.
        let allowed = argsValid ? [MOBILENET_ERROR_BUFFER_TOO_SMALL]
            : (capacity < UInt64(bitPattern: needed) || needed <= 0
                ? [MOBILENET_ERROR_INVALID_ARGUMENT, MOBILENET_ERROR_BUFFER_TOO_SMALL]
                : [MOBILENET_ERROR_INVALID_ARGUMENT])
        expect(mobilenet_model_run(m, input, batch, height, width, logits, Int(bitPattern: UInt(capacity))),
               in: allowed, call)
        return
    }
    let pixels = Int(batch) * Int(height) * Int(width)
    guard pixels <= maxRunPixels else {
        skipped += 1
        return
    }
    let input = Buffer(bytes: pixels * 3 * 4)!
    let floats = input.typed(Float.self)
    let seed = r.byte()
    for i in 0..<pixels * 3 { floats[i] = Float((i &* Int(seed | 1)) % 255) / 127.5 - 1 }
    // Exactly batch x classes floats, whatever capacity claims.
    let logits = Buffer(bytes: Int(needed) * 4, fill: 0xFF)!
    expect(mobilenet_model_run(m, floats, batch, height, width, logits.typed(Float.self),
                               Int(bitPattern: UInt(capacity))), in: [MOBILENET_OK], call)
    for i in 0..<Int(needed) {
        require(logits.typed(Float.self)[i].isFinite, "\(call): logit \(i) is \(logits.typed(Float.self)[i])")
    }
}

private func opDescribe(_ r: inout FuzzReader) {
    let flags = r.byte()
    let variantRaw: UInt32
    switch flags % 8 {
    case 0: variantRaw = 0
    case 1: variantRaw = 1
    case 2: variantRaw = 2
    case 3: variantRaw = 3
    case 4: variantRaw = .max
    case 5: variantRaw = 0x8000_0000
    default: variantRaw = r.raw(UInt32.self)
    }
    let alpha = r.float(), resolution = r.int32(), numClasses = r.int32()
    let infoNull = flags & 0x38 == 0x38
    let sizeMode = r.byte()
    let correct = UInt64(MemoryLayout<mobilenet_info>.size)
    let structSize: UInt64
    // 0.1.0's size (up to total_layers) to today's are accepted; only that prefix is written.
    let firstInfo = UInt64(MemoryLayout<mobilenet_info>.offset(of: \mobilenet_info.total_layers)!)
    switch sizeMode % 8 {
    case 0: structSize = r.size()
    case 1: structSize = firstInfo - 8
    case 2: structSize = correct + 8
    case 3: structSize = 0
    case 4: structSize = firstInfo
    default: structSize = correct
    }
    let sizeOK = (firstInfo...correct).contains(structSize)
    let valid = !infoNull && sizeOK && variantRaw <= 2 && !alpha.isNaN && alpha > 0 && alpha <= 4
        && (1...4096).contains(resolution) && (1...100_000).contains(numClasses)
    let call = "describe(variant: \(variantRaw), alpha: \(alpha), resolution: \(resolution), classes: \(numClasses), info: \(infoNull ? "NULL" : "struct_size \(structSize)"))"
    if infoNull {
        expect(mobilenet_describe(mobilenet_variant(variantRaw), alpha, resolution, numClasses, nil),
               in: [MOBILENET_ERROR_INVALID_ARGUMENT], call)
        return
    }
    // A wrong struct_size gets a buffer of just that field: nothing else may be read.
    let buffer = Buffer(bytes: sizeOK ? Int(correct) : 8, fill: 0xC3)!
    buffer.typed(UInt64.self).pointee = structSize
    let info = buffer.typed(mobilenet_info.self)
    let status = mobilenet_describe(mobilenet_variant(variantRaw), alpha, resolution, numClasses, info)
    expect(status, in: [valid ? MOBILENET_OK : MOBILENET_ERROR_INVALID_ARGUMENT], call)
    guard valid else {
        require(buffer.typed(UInt64.self).pointee == structSize, "\(call): info written on failure")
        return
    }
    let i = info.pointee
    if structSize < correct {
        let bytes = UnsafeRawPointer(info).assumingMemoryBound(to: UInt8.self)
        require((Int(structSize)..<Int(correct)).allSatisfy { bytes[$0] == 0xC3 }, "\(call): wrote past struct_size")
    }
    require(UInt64(i.struct_size) == structSize && i.variant.rawValue == variantRaw && i.width_multiplier == alpha
            && i.resolution == resolution && i.num_classes == numClasses, "\(call): header fields")
    require((1...Int32(MOBILENET_MAX_LAYERS)).contains(i.num_layers), "\(call): num_layers \(i.num_layers)")
    var macs: Int64 = 0, params: Int64 = 0
    withUnsafeBytes(of: i.layers) { raw in
        let rows = raw.bindMemory(to: mobilenet_layer_info.self)
        var h = resolution, w = resolution
        for l in 0..<Int(i.num_layers) {
            let row = rows[l]
            withUnsafeBytes(of: row.name) { name in
                require(name.contains(0), "\(call): layer \(l) name not NUL-terminated")
            }
            require(row.input_height == h && row.input_width == w, "\(call): layer \(l) input size")
            require(row.output_height >= 1 && row.output_width >= 1 && row.input_channels >= 1
                    && row.output_channels >= 1, "\(call): layer \(l) shape")
            require(row.mult_adds >= 0 && row.parameters >= 0, "\(call): layer \(l) negative count")
            macs += row.mult_adds
            params += row.parameters
            h = row.output_height
            w = row.output_width
        }
        require(rows[Int(i.num_layers) - 1].output_channels == numClasses, "\(call): last layer channels")
    }
    require(macs == i.mult_adds && params == i.parameters, "\(call): totals")
}

private func opLabel(_ r: inout FuzzReader) {
    let flags = r.byte()
    let m: OpaquePointer? = flags & 0x07 == 0 ? nil : model
    var index = r.int32()
    if flags & 0x80 != 0 { index = Int32(Int8(bitPattern: r.byte())) + Int32(classes / 2) }
    let label = mobilenet_model_label(m, index)
    if m == nil || !(0..<Int32(classes)).contains(index) {
        require(label == nil, "label(\(m == nil ? "NULL" : "model"), \(index)) is not NULL")
    } else {
        require(label != nil && String(cString: label!) == "class_\(index)", "label(\(index))")
        // Stable: the same pointer every time.
        require(label == mobilenet_model_label(m, index), "label(\(index)) pointer changed")
    }
}

private func opInfo(_ r: inout FuzzReader) {
    let flags = r.byte()
    let m: OpaquePointer? = flags & 0x03 == 0 ? nil : model
    let correct = UInt64(MemoryLayout<mobilenet_info>.size)
    if flags & 0x0C == 0x0C {
        expect(mobilenet_model_info(m, nil), in: [MOBILENET_ERROR_INVALID_ARGUMENT], "model_info(info: NULL)")
        return
    }
    let firstInfo = UInt64(MemoryLayout<mobilenet_info>.offset(of: \mobilenet_info.total_layers)!)
    let structSize = flags & 0x30 == 0 ? r.size() : correct
    let sizeOK = (firstInfo...correct).contains(structSize)
    let buffer = Buffer(bytes: sizeOK ? Int(correct) : 8, fill: 0x3C)!
    buffer.typed(UInt64.self).pointee = structSize
    let valid = m != nil && sizeOK
    expect(mobilenet_model_info(m, buffer.typed(mobilenet_info.self)),
           in: [valid ? MOBILENET_OK : MOBILENET_ERROR_INVALID_ARGUMENT],
           "model_info(model: \(m == nil ? "NULL" : "ok"), struct_size: \(structSize))")
    if valid {
        let i = buffer.typed(mobilenet_info.self).pointee
        require(Int(i.num_classes) == classes && Int(i.resolution) == resolution, "model_info fields")
    }
}

/// Fuzzed mobilenet_options: validated first against a file that is not a
/// model (so the status says whether the options were accepted), then,
/// sometimes, a real load with them and a classification of a small image.
private func opOptions(_ r: inout FuzzReader) {
    let flags = r.byte()
    let correct = UInt64(MemoryLayout<mobilenet_options>.size)
    // Any size from 0.1.0's (up to max_isa) to today's is accepted.
    let first = UInt64(MemoryLayout<mobilenet_options>.offset(of: \mobilenet_options.max_isa)!)
    let structSize: UInt64 = flags & 0x03 == 0 ? r.size() : (flags & 0x40 != 0 ? first : correct)
    var threads = r.int32()
    if flags & 0x04 != 0 { threads = Int32(r.byte() % 3) }
    let crop = r.float()
    // 0 AUTO, 1-3 the x86 tiers, 4 NEON, 5 no tier; read only if the size covers it.
    let isa = UInt32(r.byte() % 6)
    let sizeOK = (first...correct).contains(structSize)
    let isaRead = sizeOK && structSize >= first + 4
    let best = mobilenet_best_isa().rawValue
    #if arch(x86_64)
    let isaKnown = !isaRead || isa <= 3
    #else
    let isaKnown = !isaRead || isa == 0 || isa == 4
    #endif
    let isaRunnable = !isaRead || isa == 0 || (isaKnown && isa <= best)
    let rangesOK = (0...256).contains(threads) && (crop == 0 || (crop > 0 && crop <= 1))
    let valid = sizeOK && !crop.isNaN && isaKnown && rangesOK && isaRunnable
    let optionsNull = flags & 0x18 == 0x18
    var buffer: Buffer? = nil
    if !optionsNull {
        buffer = Buffer(bytes: sizeOK ? Int(correct) : 8, fill: 0x5A)!
        buffer!.typed(UInt64.self).pointee = structSize
        if sizeOK {
            buffer!.typed(mobilenet_options.self).pointee.num_threads = threads
            buffer!.typed(mobilenet_options.self).pointee.crop_fraction = crop
            if isaRead { buffer!.typed(mobilenet_options.self).pointee.max_isa = mobilenet_isa(isa) }
        }
    }
    let options = buffer.map { UnsafePointer($0.typed(mobilenet_options.self)) }
    let call = "load_memory(options: \(optionsNull ? "NULL" : "struct_size \(structSize), num_threads \(threads), crop_fraction \(crop), max_isa \(isaRead ? "\(isa)" : "unread")"))"
    // Header length 1: FORMAT if the options pass; INVALID_ARGUMENT for a bad
    // size or range; UNSUPPORTED for a tier this CPU (or architecture) lacks.
    let expected: mobilenet_status
    if optionsNull || valid { expected = MOBILENET_ERROR_FORMAT }
    else if !sizeOK || crop.isNaN { expected = MOBILENET_ERROR_INVALID_ARGUMENT }
    else if !isaKnown { expected = MOBILENET_ERROR_UNSUPPORTED }
    else if !rangesOK { expected = MOBILENET_ERROR_INVALID_ARGUMENT }
    else { expected = MOBILENET_ERROR_UNSUPPORTED }
    let notAModel: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 0x7B]
    var out: OpaquePointer? = nil
    let status = notAModel.withUnsafeBytes { mobilenet_model_load_memory($0.baseAddress, $0.count, options, &out) }
    expect(status, in: [expected], call)
    require(out == nil, "\(call): out_model written on failure")

    // Loads only single-threaded: idle pool workers spin for a while after each
    // job, which would halve the executions per second on a 2-core machine.
    guard !optionsNull, valid, threads == 1, flags & 0x20 != 0 else { return }
    if optionModels[crop.bitPattern] == nil {
        if optionModels.count >= 16 {
            for m in optionModels.values { mobilenet_model_free(m) }
            optionModels.removeAll()
        }
        optionModels[crop.bitPattern] = load(smallModelBytes, threads: threads, crop: crop)
    }
    let m = optionModels[crop.bitPattern]!
    let mClasses = Int(mobilenet_model_num_classes(m))
    let width = 1 + Int(r.byte() % 48), height = 1 + Int(r.byte() % 48)
    let stride = width * 3 + Int(r.byte() % 5)
    let k = 1 + Int(r.byte()) % mClasses
    let image = Buffer(bytes: (height - 1) * stride + width * 3, fill: r.byte())!
    let predictions = Buffer(bytes: k * MemoryLayout<mobilenet_prediction>.stride, fill: 0xA5)!
    let p = predictions.typed(mobilenet_prediction.self)
    let classify = "\(call) then classify_rgb8(width: \(width), height: \(height), row_stride: \(stride), top_k: \(k))"
    expect(mobilenet_model_classify_rgb8(m, image.typed(UInt8.self), Int32(width), Int32(height), stride,
                                         Int32(k), p), in: [MOBILENET_OK], classify)
    checkPredictions(m, p, k: k, classes: mClasses)
}

private func opMisc(_ r: inout FuzzReader) {
    let s = mobilenet_status(r.raw(UInt32.self))
    let text = mobilenet_status_string(s)
    require(text != nil && strlen(text!) > 0, "status_string(\(s.rawValue))")
    require(String(cString: mobilenet_version()) == MOBILENET_VERSION_STRING, "version string")
    require(mobilenet_version_number() == MOBILENET_VERSION_MAJOR * 10000 + MOBILENET_VERSION_MINOR * 100 + MOBILENET_VERSION_PATCH, "version number")
    require(mobilenet_model_num_classes(nil) == 0, "num_classes(NULL)")
    require(mobilenet_model_label(nil, 0) == nil, "label(NULL, 0)")
    mobilenet_model_free(nil)
    mobilenet_options_init(nil)
    var out: OpaquePointer? = nil
    expect(mobilenet_model_load(nil, nil, &out), in: [MOBILENET_ERROR_INVALID_ARGUMENT], "load(NULL path)")
    expect(mobilenet_model_load_memory(nil, Int(bitPattern: UInt(r.size())), nil, &out),
           in: [MOBILENET_ERROR_INVALID_ARGUMENT], "load_memory(NULL data)")
    let byte: [UInt8] = [0]
    expect(byte.withUnsafeBytes { mobilenet_model_load_memory($0.baseAddress, 1, nil, nil) },
           in: [MOBILENET_ERROR_INVALID_ARGUMENT], "load_memory(out_model NULL)")
    require(out == nil, "out_model written on failure")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArgs(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = model
    var r = FuzzReader(data, size)
    var operations = 0
    while !r.isAtEnd && operations < 16 {
        switch r.byte() % 8 {
        case 0, 1: opClassify(&r)
        case 2, 3: opRun(&r)
        case 4: opDescribe(&r)
        case 5: opLabel(&r)
        case 6: opInfo(&r)
        default:
            if r.byte() & 1 == 0 { opOptions(&r) } else { opMisc(&r) }
        }
        operations += 1
    }
    return 0
}
