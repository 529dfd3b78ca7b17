// Fuzz target "trainer": the training API with a fuzzed file and fuzzed
// arguments. The input is a 64-byte parameter block (read with FuzzReader;
// zeros mean defaults), then a model file or checkpoint. The file is written
// to /dev/shm (else TMPDIR) and opened with mobilenet_trainer_load under
// fuzzed mobilenet_train_options (struct_size, enums, floats with NaN and
// infinities, trainable_from names). The same bytes go to
// mobilenet_model_load_memory first, which says whether the file is a model
// (a checkpoint always loads as a model, so a file that is not a model must
// not open as a trainer while the Logits are kept) and which layer names
// trainable_from may use. If the trainer opens: steps and evaluations with
// fuzzed small sizes, labels and inputs (trap pointers when the sizes are
// invalid), get_tensor with fuzzed names and capacities, set_learning_rate,
// set_labels, export; then freed. Never a crash, never INTERNAL, a message
// on every failure and untouched outputs.
// Seeds (run.sh): a zero parameter block before tests/corpus/{good,bad}
// files and the tiny fuzz_args_small_model.safetensors.
import CMobileNetHeader
#if canImport(Glibc)
import Glibc
#endif

private let sentinel = OpaquePointer(bitPattern: 0x5e47)!
private let parameterBytes = 64
private let maxStepPixels = 1 << 10  // batch * height * width actually trained

private let path: String = {
    let directory = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
    let path = "\(directory)/mobilenet-fuzz-trainer-\(getpid()).safetensors"
    FuzzTrainer.name = Array(path.utf8CString)
    atexit { unlink(FuzzTrainer.name) }
    return path
}()

enum FuzzTrainer {
    nonisolated(unsafe) static var name: [CChar] = []
}

/// What the header says about a value: accepted, refused, or not settled
/// (a field the chosen optimizer does not use, an infinity where "> 0" is
/// all the header says, a layer without parameters).
private enum Verdict { case valid, invalid, either }

private func unit(_ x: Float) -> Verdict { x >= 0 && x < 1 ? .valid : .invalid }  // [0, 1); NaN invalid
/// learning_rate and epsilon: finite, normal, > 0 (a subnormal is refused).
private func positive(_ x: Float) -> Verdict {
    x.isNaN || x <= 0 || (x.isFinite && !x.isNormal) ? .invalid : (x.isFinite ? .valid : .either)
}
private func nonNegative(_ x: Float) -> Verdict { x.isNaN || x < 0 ? .invalid : (x.isFinite ? .valid : .either) }

private let fixedNames = ["", "Logits", "Conv2d_0", "Conv2d_1", "Conv2d_1_depthwise", "Conv2d_13_pointwise",
                          "Conv2d_7_depthwise", "AvgPool_1a", "Bogus", "logits", "MobilenetV1/Logits"]

/// The model's layer names (for trainable_from), or nil if the file is not a model.
private func referenceModel(_ file: UnsafeBufferPointer<UInt8>) -> (classes: Int, layers: [(String, mobilenet_layer_type)])? {
    var options = mobilenet_options()
    mobilenet_options_init(&options)
    options.num_threads = 1
    var model: OpaquePointer? = nil
    guard mobilenet_model_load_memory(file.baseAddress, file.count, &options, &model) == MOBILENET_OK,
          let model else { return nil }
    defer { mobilenet_model_free(model) }
    var layers: [(String, mobilenet_layer_type)] = []
    for i in 0..<mobilenet_model_num_layers(model) {
        var row = mobilenet_layer_info()
        guard mobilenet_model_layer(model, i, &row) == MOBILENET_OK else { fail("model_layer(\(i))") }
        let name = withUnsafeBytes(of: row.name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        layers.append((name, row.type))
    }
    return (Int(mobilenet_model_num_classes(model)), layers)
}

private func contains(_ file: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
    let needle = Array(text.utf8)
    guard file.count >= needle.count else { return false }
    for i in 0...(file.count - needle.count) where file[i] == needle[0] {
        if (0..<needle.count).allSatisfy({ file[i + $0] == needle[$0] }) { return true }
    }
    return false
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTrainer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let head = min(size, parameterBytes)
    var r = FuzzReader(data, head)
    let file = UnsafeBufferPointer(start: data + head, count: size - head)

    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    require(fd >= 0, "cannot create \(path)")
    var written = 0
    while written < file.count {
        let n = write(fd, file.baseAddress! + written, file.count - written)
        require(n > 0, "cannot write \(path)")
        written += n
    }
    close(fd)
    let reference = referenceModel(file)
    // Checkpoint-only tensors the model loader ignores and the trainer reads.
    let checkpointLike = ["RMSProp", "Momentum", "Adam", "beta1_power", "beta2_power", "global_step"]
        .contains { contains(file, $0) }

    // Options.
    var options = mobilenet_train_options()
    mobilenet_train_options_init(&options)
    options.num_threads = 1  // a worker pool would cost executions (the C tests cover threads)
    let correct = MemoryLayout<mobilenet_train_options>.size
    let flags = r.byte()
    let optionsNull = flags & 0x0F == 0x0F
    switch (flags >> 4) & 3 {
    case 1: options.struct_size = Int(truncatingIfNeeded: r.size())
    case 2: options.struct_size = correct - 1 - Int(r.byte() % 16)
    case 3: options.struct_size = correct + 8
    default: break
    }
    let mask = UInt16(r.byte()) | UInt16(r.byte()) << 8
    if mask & 0x0001 != 0 {
        let t = r.int32()
        options.num_threads = (0...256).contains(t) ? 1 : t
    }
    if mask & 0x0002 != 0 { options.optimizer = mobilenet_optimizer(r.byte() < 200 ? UInt32(r.byte() % 6) : r.raw(UInt32.self)) }
    if mask & 0x0004 != 0 { options.learning_rate = r.float() }
    if mask & 0x0008 != 0 { options.momentum = r.float() }
    if mask & 0x0010 != 0 { options.rmsprop_decay = r.float() }
    if mask & 0x0020 != 0 { options.epsilon = r.float() }
    if mask & 0x0040 != 0 { options.weight_decay = r.float() }
    if mask & 0x0080 != 0 { options.label_smoothing = r.float() }
    if mask & 0x0100 != 0 { options.batchnorm = mobilenet_batchnorm(UInt32(r.byte() % 4)) }
    if mask & 0x0200 != 0 { options.batchnorm_decay = r.float() }
    var trainableFrom: String? = nil
    if mask & 0x0400 != 0 {
        let b = Int(r.byte())
        if b < fixedNames.count { trainableFrom = fixedNames[b] }
        else if b < 128, let reference, !reference.layers.isEmpty { trainableFrom = reference.layers[b % reference.layers.count].0 }
        else if b >= 128 {
            var bytes: [UInt8] = []
            for _ in 0..<(b % 24) { let c = r.byte(); if c != 0 { bytes.append(c) } }
            trainableFrom = String(decoding: bytes, as: UTF8.self)
        }
    }
    if mask & 0x0800 != 0 {
        let c = r.int32()
        options.num_classes = (65...100_000).contains(c) ? 1 + c % 64 : c  // valid but large: kept small
    }
    if mask & 0x1000 != 0 { options.seed = r.raw(UInt64.self) }
    if mask & 0x2000 != 0 { options.adam_beta1 = r.float() }
    if mask & 0x4000 != 0 { options.adam_beta2 = r.float() }

    // The header's rules.
    var verdicts: [Verdict] = []
    let opt = options.optimizer
    let known = opt.rawValue <= 3
    func used(_ v: Verdict, by users: [mobilenet_optimizer]) -> Verdict {
        v == .invalid && known && !users.contains(opt) ? .either : v
    }
    verdicts.append(options.struct_size == correct ? .valid : .invalid)
    verdicts.append((0...256).contains(options.num_threads) ? .valid : .invalid)
    verdicts.append(known ? .valid : .invalid)
    verdicts.append(positive(options.learning_rate))
    verdicts.append(used(unit(options.momentum), by: [MOBILENET_OPTIMIZER_RMSPROP, MOBILENET_OPTIMIZER_MOMENTUM]))
    verdicts.append(used(unit(options.rmsprop_decay), by: [MOBILENET_OPTIMIZER_RMSPROP]))
    verdicts.append(used(positive(options.epsilon), by: [MOBILENET_OPTIMIZER_RMSPROP, MOBILENET_OPTIMIZER_ADAM]))
    verdicts.append(nonNegative(options.weight_decay))
    verdicts.append(unit(options.label_smoothing))
    verdicts.append(options.batchnorm.rawValue <= 1 ? .valid : .invalid)
    verdicts.append(unit(options.batchnorm_decay))
    verdicts.append(options.num_classes == 0 || (1...100_000).contains(options.num_classes) ? .valid : .invalid)
    verdicts.append(used(unit(options.adam_beta1), by: [MOBILENET_OPTIMIZER_ADAM]))
    verdicts.append(used(unit(options.adam_beta2), by: [MOBILENET_OPTIMIZER_ADAM]))
    if let name = trainableFrom, !name.isEmpty {
        if let reference, let layer = reference.layers.first(where: { $0.0 == name }) {
            verdicts.append(layer.1 == MOBILENET_LAYER_AVERAGE_POOL ? .either : .valid)
        } else {
            verdicts.append(reference == nil ? .either : .invalid)
        }
    }
    let optionsMustFail = !optionsNull && verdicts.contains(.invalid)
    let optionsMayFail = !optionsNull && verdicts.contains { $0 != .valid }
    let keepsLogits = optionsNull || options.struct_size != correct || options.num_classes == 0

    var allowed: [mobilenet_status]
    // A .tflite (identifier at bytes 4...7) loads as a model but never as a
    // trainer: its BatchNorm is folded.
    let isTFLite = file.count >= 8 && Array(file[4..<8]) == Array("TFL3".utf8)
    if isTFLite {
        allowed = [MOBILENET_ERROR_FORMAT, MOBILENET_ERROR_UNSUPPORTED, MOBILENET_ERROR_OUT_OF_MEMORY]
        if optionsMayFail { allowed.append(MOBILENET_ERROR_INVALID_ARGUMENT) }
    } else if let _ = reference {
        if optionsMustFail { allowed = [MOBILENET_ERROR_INVALID_ARGUMENT] }
        else {
            allowed = [MOBILENET_OK, MOBILENET_ERROR_OUT_OF_MEMORY]
            if optionsMayFail { allowed.append(MOBILENET_ERROR_INVALID_ARGUMENT) }
            if checkpointLike { allowed += [MOBILENET_ERROR_FORMAT, MOBILENET_ERROR_UNSUPPORTED] }
        }
    } else {
        allowed = [MOBILENET_ERROR_FORMAT, MOBILENET_ERROR_UNSUPPORTED, MOBILENET_ERROR_OUT_OF_MEMORY]
        if optionsMayFail { allowed.append(MOBILENET_ERROR_INVALID_ARGUMENT) }
        if !keepsLogits && !optionsMustFail { allowed.append(MOBILENET_OK) }  // a broken head may be replaced
        // A trainer keeps BatchNorm unfolded: a file whose folding overflows
        // float32 opens, and then its export must fail as its load did.
        if keepsLogits && !optionsMustFail { allowed.append(MOBILENET_OK) }
    }

    let call = "trainer_load(\(file.count) bytes, options: \(optionsNull ? "NULL" : "struct_size \(options.struct_size), threads \(options.num_threads), optimizer \(opt.rawValue), lr \(options.learning_rate), momentum \(options.momentum), decay \(options.rmsprop_decay), eps \(options.epsilon), wd \(options.weight_decay), smoothing \(options.label_smoothing), bn \(options.batchnorm.rawValue), bn_decay \(options.batchnorm_decay), trainable_from \(trainableFrom.map { "'\($0)'" } ?? "NULL"), classes \(options.num_classes), betas \(options.adam_beta1) \(options.adam_beta2)"))"
    var trainer: OpaquePointer? = sentinel
    let copy = trainableFrom.map { strdup($0)! }
    defer { free(copy) }
    options.trainable_from = copy.map { UnsafePointer($0) }
    let status = optionsNull ? mobilenet_trainer_load(path, nil, &trainer)
                             : mobilenet_trainer_load(path, &options, &trainer)
    expect(status, in: allowed, call)
    guard status == MOBILENET_OK else {
        require(trainer == sentinel, "\(call): out written on failure")
        return 0
    }
    guard let trainer, trainer != sentinel else { fail("\(call) succeeded without a trainer") }
    defer { mobilenet_trainer_free(trainer) }
    let classes = Int(mobilenet_trainer_num_classes(trainer))
    if let reference, keepsLogits { require(classes == reference.classes, "\(call): \(classes) classes, the model \(reference.classes)") }
    if reference == nil && keepsLogits {
        var model: OpaquePointer? = nil
        let exported = mobilenet_trainer_export(trainer, nil, &model)
        if let model { mobilenet_model_free(model) }
        require(exported != MOBILENET_OK, "\(call): opened a file mobilenet_model_load refuses, and exported it")
        return 0
    }
    if !keepsLogits { require(classes == Int(options.num_classes), "\(call): \(classes) classes, asked \(options.num_classes)") }
    exercise(trainer, classes: classes, &r, call)
    return 0
}

private func exercise(_ t: OpaquePointer, classes: Int, _ r: inout FuzzReader, _ loadCall: String) {
    require(mobilenet_trainer_global_step(t) >= 0, "global_step")
    let count = Int(mobilenet_trainer_num_tensors(t))
    require(count > 0, "\(loadCall): no tensors")
    for i in 0..<count {
        guard let name = mobilenet_trainer_tensor_name(t, Int32(i)) else { fail("tensor_name(\(i)) is NULL") }
        require(mobilenet_trainer_tensor_size(t, name) > 0, "tensor \(String(cString: name)) has size 0")
    }
    require(mobilenet_trainer_tensor_name(t, Int32(count)) == nil && mobilenet_trainer_tensor_name(t, -1) == nil,
            "tensor_name out of range is not NULL")

    var operations = 0
    while !r.isAtEnd && operations < 8 {
        switch r.byte() % 6 {
        case 0, 1: opStep(t, classes: classes, &r, evaluate: false)
        case 2: opStep(t, classes: classes, &r, evaluate: true)
        case 3: opTensor(t, count: count, &r)
        case 4: opLearningRateAndLabels(t, classes: classes, &r)
        default: opExport(t, classes: classes)
        }
        operations += 1
    }
}

private func opStep(_ t: OpaquePointer, classes: Int, _ r: inout FuzzReader, evaluate: Bool) {
    let mode = r.byte()
    var batch: Int32, height: Int32, width: Int32
    if mode & 0x80 == 0 {
        batch = 1 + Int32(r.byte() % 4); height = 1 + Int32(r.byte() % 16); width = 1 + Int32(r.byte() % 16)
    } else {
        batch = r.int32(); height = r.int32(); width = r.int32()
    }
    let sizesValid = (1...4096).contains(batch) && (1...4096).contains(height) && (1...4096).contains(width)
    let before = mobilenet_trainer_global_step(t)
    var loss: Float = 1234.5
    var correct: Int32 = -77
    let name = evaluate ? "evaluate" : "step"
    let call = "\(name)(batch \(batch), \(height)x\(width))"
    func run(_ input: UnsafePointer<Float>?, _ labels: UnsafePointer<Int32>?) -> mobilenet_status {
        evaluate ? mobilenet_trainer_evaluate(t, input, labels, batch, height, width, &loss, &correct)
                 : mobilenet_trainer_step(t, input, labels, batch, height, width, &loss)
    }
    if !sizesValid {
        let trap = UnsafePointer(trapPointer.assumingMemoryBound(to: Float.self))
        let trapLabels = UnsafePointer(trapPointer.assumingMemoryBound(to: Int32.self))
        expect(run(mode & 0x40 != 0 ? nil : trap, trapLabels), in: [MOBILENET_ERROR_INVALID_ARGUMENT], call)
        require(loss == 1234.5 && correct == -77 && mobilenet_trainer_global_step(t) == before, "\(call) wrote outputs")
        return
    }
    let pixels = Int(batch) * Int(height) * Int(width)
    guard pixels <= maxStepPixels else { return }
    let labels = Buffer(bytes: Int(batch) * 4)!
    let l = labels.typed(Int32.self)
    var labelsValid = true
    for i in 0..<Int(batch) {
        l[i] = mode & 0x20 != 0 && i == 0 ? r.int32() : Int32(Int(r.byte()) % classes)
        labelsValid = labelsValid && (0..<Int32(classes)).contains(l[i])
    }
    let input = Buffer(bytes: pixels * 3 * 4)!
    let x = input.typed(Float.self)
    let seed = Int(r.byte() | 1)
    for i in 0..<pixels * 3 { x[i] = Float((i &* seed) % 255) / 127.5 - 1 }
    var finite = true
    if mode & 0x10 != 0 {
        x[Int(r.byte()) % (pixels * 3)] = r.float()
        for i in 0..<pixels * 3 where !x[i].isFinite { finite = false }
    }
    let valid = labelsValid && finite
    // A step whose update would make a weight non-finite is refused (INVALID_ARGUMENT).
    let allowed = !valid ? [MOBILENET_ERROR_INVALID_ARGUMENT]
        : (evaluate ? [MOBILENET_OK] : [MOBILENET_OK, MOBILENET_ERROR_INVALID_ARGUMENT])
    let status = run(x, l)
    expect(status, in: allowed, "\(call), labels valid \(labelsValid), input finite \(finite)")
    let after = mobilenet_trainer_global_step(t)
    if status == MOBILENET_OK {
        require(after == before + (evaluate ? 0 : 1), "\(call): global_step \(before) -> \(after)")
        require(loss.bitPattern != Float(1234.5).bitPattern, "\(call): loss not written")
        if evaluate { require((0...batch).contains(correct), "\(call): correct \(correct)") }
    } else {
        require(after == before, "\(call) failed but global_step moved")
        require(loss == 1234.5 && correct == -77, "\(call) failed but wrote outputs")
    }
}

private func opTensor(_ t: OpaquePointer, count: Int, _ r: inout FuzzReader) {
    let mode = r.byte()
    var nameBytes: [CChar]? = nil
    switch mode % 4 {
    case 0, 1:
        let index = mode & 0x80 != 0 ? r.int32() : Int32(Int(r.byte()) % (count + 1))
        let p = mobilenet_trainer_tensor_name(t, index)
        require((p != nil) == (0..<Int32(count)).contains(index), "tensor_name(\(index)) of \(count)")
        if let p { nameBytes = Array(UnsafeBufferPointer(start: p, count: strlen(p) + 1)) }
        if let p, mode & 0x40 != 0 {  // a near miss: one byte changed or cut
            var b = Array(UnsafeBufferPointer(start: p, count: strlen(p)))
            if !b.isEmpty { b[Int(r.byte()) % b.count] = CChar(bitPattern: r.byte() | 1) }
            nameBytes = b + [0]
        }
    case 2:
        var b: [CChar] = []
        for _ in 0..<(r.byte() % 48) { let c = r.byte(); if c != 0 { b.append(CChar(bitPattern: c)) } }
        nameBytes = b + [0]
    default:
        nameBytes = nil
    }
    guard let nameBytes else {
        expect(mobilenet_trainer_get_tensor(t, nil, trapPointer.assumingMemoryBound(to: Float.self), 16),
               in: [MOBILENET_ERROR_INVALID_ARGUMENT], "get_tensor(NULL name)")
        require(mobilenet_trainer_tensor_size(t, nil) == 0, "tensor_size(NULL)")
        return
    }
    nameBytes.withUnsafeBufferPointer { nb in
        let name = nb.baseAddress!
        let size = mobilenet_trainer_tensor_size(t, name)
        let capacityMode = r.byte()
        let capacity: Int
        switch capacityMode % 4 {
        case 0: capacity = size
        case 1: capacity = size &- 1
        case 2: capacity = Int(bitPattern: UInt(r.size()))
        default: capacity = size + Int(capacityMode >> 2)
        }
        let call = "get_tensor('\(String(cString: name))', capacity \(UInt(bitPattern: capacity))) of size \(size)"
        let trap = trapPointer.assumingMemoryBound(to: Float.self)
        if size == 0 {
            expect(mobilenet_trainer_get_tensor(t, name, trap, capacity), in: [MOBILENET_ERROR_INVALID_ARGUMENT], call)
        } else if UInt(bitPattern: capacity) < UInt(size) {
            expect(mobilenet_trainer_get_tensor(t, name, trap, capacity), in: [MOBILENET_ERROR_BUFFER_TOO_SMALL], call)
        } else {
            let buffer = Buffer(bytes: size * 4)!  // exactly the tensor, whatever capacity claims
            expect(mobilenet_trainer_get_tensor(t, name, buffer.typed(Float.self), capacity), in: [MOBILENET_OK], call)
        }
    }
}

private func opLearningRateAndLabels(_ t: OpaquePointer, classes: Int, _ r: inout FuzzReader) {
    let rate = r.float()
    expect(mobilenet_trainer_set_learning_rate(t, rate),
           in: [rate.isFinite && rate.isNormal && rate > 0 ? MOBILENET_OK : MOBILENET_ERROR_INVALID_ARGUMENT], "set_learning_rate(\(rate))")
    guard classes <= 256 else { return }
    let delta = Int(Int8(bitPattern: r.byte()) % 3)
    let n = max(0, classes + delta)
    var strings = (0..<n).map { strdup("class \($0)")! }
    if n > 0, r.byte() & 1 != 0 { free(strings[0]); strings[0] = strdup("")! }  // an empty label is invalid
    defer { strings.forEach { free($0) } }
    let valid = n == classes && strcmp(strings[0], "") != 0
    var pointers = strings.map { UnsafePointer<CChar>?(UnsafePointer($0)) }
    let status = pointers.withUnsafeMutableBufferPointer { mobilenet_trainer_set_labels(t, $0.baseAddress, Int32(n)) }
    expect(status, in: [valid ? MOBILENET_OK : MOBILENET_ERROR_INVALID_ARGUMENT], "set_labels(\(n) of \(classes))")
}

private func opExport(_ t: OpaquePointer, classes: Int) {
    var options = mobilenet_options()
    mobilenet_options_init(&options)
    options.num_threads = 1
    var model: OpaquePointer? = sentinel
    let status = mobilenet_trainer_export(t, &options, &model)
    // The header lists no errors for export; fuzzed weights may fold to
    // non-finite values (as model_load's FORMAT for such files).
    expect(status, in: [MOBILENET_OK, MOBILENET_ERROR_FORMAT, MOBILENET_ERROR_INVALID_ARGUMENT,
                        MOBILENET_ERROR_OUT_OF_MEMORY], "export")
    guard status == MOBILENET_OK else {
        require(model == sentinel, "export wrote out on failure")
        return
    }
    guard let model, model != sentinel else { fail("export succeeded without a model") }
    require(Int(mobilenet_model_num_classes(model)) == classes, "export: class count")
    let input: [Float] = [0.5, -0.5, 0.25]
    var logits = [Float](repeating: 0, count: classes)
    expect(mobilenet_model_run(model, input, 1, 1, 1, &logits, classes), in: [MOBILENET_OK], "run of the export")
    mobilenet_model_free(model)
}
