#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMobileNetHeader
import MobileNet

/// What a `mobilenet_trainer *` points to: the core trainer and its tensor
/// names as C strings (fixed at creation), freed with the handle.
final class TrainerHandle {
    let trainer: Trainer
    private let names: [UnsafeMutablePointer<CChar>]

    init(trainer: Trainer) throws {
        self.trainer = trainer
        var names: [UnsafeMutablePointer<CChar>] = []
        for name in trainer.tensorNames {
            guard let copy = strdup(name) else {
                names.forEach { free($0) }
                throw MobileNetError(.outOfMemory, "cannot allocate the tensor names")
            }
            names.append(copy)
        }
        self.names = names
    }

    deinit { names.forEach { free($0) } }

    func name(_ index: Int) -> UnsafePointer<CChar>? {
        names.indices.contains(index) ? UnsafePointer(names[index]) : nil
    }

    var opaque: OpaquePointer { OpaquePointer(Unmanaged.passRetained(self).toOpaque()) }

    static func from(_ pointer: OpaquePointer?) throws -> TrainerHandle {
        guard let pointer else { throw invalidArgument("trainer is NULL") }
        return Unmanaged<TrainerHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

extension TrainingOptions.Optimizer {
    init?(_ value: mobilenet_optimizer) {
        switch value {
        case MOBILENET_OPTIMIZER_RMSPROP: self = .rmsprop
        case MOBILENET_OPTIMIZER_MOMENTUM: self = .momentum
        case MOBILENET_OPTIMIZER_SGD: self = .sgd
        case MOBILENET_OPTIMIZER_ADAM: self = .adam
        default: return nil
        }
    }
}

extension TrainingOptions.BatchNormMode {
    init?(_ value: mobilenet_batchnorm) {
        switch value {
        case MOBILENET_BATCHNORM_TRAIN: self = .train
        case MOBILENET_BATCHNORM_FROZEN: self = .frozen
        default: return nil
        }
    }
}

func defaultTrainOptions() -> mobilenet_train_options {
    let d = TrainingOptions()
    return mobilenet_train_options(
        struct_size: MemoryLayout<mobilenet_train_options>.size, num_threads: 0,
        optimizer: MOBILENET_OPTIMIZER_RMSPROP, learning_rate: d.learningRate, momentum: d.momentum,
        rmsprop_decay: d.rmspropDecay, epsilon: d.epsilon, weight_decay: d.weightDecay,
        label_smoothing: d.labelSmoothing, batchnorm: MOBILENET_BATCHNORM_TRAIN, batchnorm_decay: d.batchNormDecay,
        trainable_from: nil, num_classes: 0, seed: 0, adam_beta1: d.adamBeta1, adam_beta2: d.adamBeta2)
}

/// The first released size of mobilenet_train_options (0.3.0): all of it.
let firstTrainOptionsSize = MemoryLayout<mobilenet_train_options>.size

/// Core options from a caller's (possibly NULL) struct; nil for NULL.
func trainingOptions(_ options: UnsafePointer<mobilenet_train_options>?) throws -> TrainingOptions? {
    guard let options else { return nil }
    let c = try StructSize.readSized(options, first: firstTrainOptionsSize, name: "mobilenet_train_options",
                                     defaults: defaultTrainOptions())
    var o = TrainingOptions()
    o.numThreads = Int(c.num_threads)
    guard let optimizer = TrainingOptions.Optimizer(c.optimizer) else {
        throw invalidArgument("options->optimizer \(Int32(bitPattern: c.optimizer.rawValue)) is not a mobilenet_optimizer")
    }
    o.optimizer = optimizer
    guard let mode = TrainingOptions.BatchNormMode(c.batchnorm) else {
        throw invalidArgument("options->batchnorm \(Int32(bitPattern: c.batchnorm.rawValue)) is not a mobilenet_batchnorm")
    }
    o.batchNorm = mode
    o.learningRate = c.learning_rate
    o.momentum = c.momentum
    o.rmspropDecay = c.rmsprop_decay
    o.epsilon = c.epsilon
    o.weightDecay = c.weight_decay
    o.labelSmoothing = c.label_smoothing
    o.batchNormDecay = c.batchnorm_decay
    o.adamBeta1 = c.adam_beta1
    o.adamBeta2 = c.adam_beta2
    o.numClasses = Int(c.num_classes)
    o.seed = c.seed
    if let from = c.trainable_from {
        let length = strnlen(from, 256)
        guard length < 256 else { throw invalidArgument("options->trainable_from is longer than 255 bytes") }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(from).assumingMemoryBound(to: UInt8.self), count: length)
        guard let name = String(validating: bytes, as: UTF8.self) else {
            throw invalidArgument("options->trainable_from is not UTF-8")
        }
        o.trainableFrom = name.isEmpty ? nil : name
    }
    try o.validate()
    return o
}

func pathBytes(_ path: UnsafePointer<CChar>?) throws -> [CChar] {
    guard let path else { throw invalidArgument("path is NULL") }
    guard path.pointee != 0 else { throw invalidArgument("path is empty") }
    return Array(UnsafeBufferPointer(start: path, count: strlen(path) + 1))
}

/// The exported symbol behind the header's macro's name: fills the first
/// released size only, since it cannot know its caller's.
@_cdecl("mobilenet_train_options_init")
public func mobilenet_train_options_init(_ options: UnsafeMutablePointer<mobilenet_train_options>?) {
    guard let options else { return }
    StructSize.fill(options, with: defaultTrainOptions(), size: firstTrainOptionsSize)
}

@_cdecl("mobilenet_train_options_init_sized")
public func mobilenet_train_options_init_sized(_ options: UnsafeMutablePointer<mobilenet_train_options>?,
                                               _ size: Int) -> mobilenet_status {
    guarded("mobilenet_train_options_init_sized") {
        try StructSize.initSized(options, size: size, first: firstTrainOptionsSize,
                                 name: "mobilenet_train_options", defaults: defaultTrainOptions())
    }
}

@_cdecl("mobilenet_trainer_load")
public func mobilenet_trainer_load(_ path: UnsafePointer<CChar>?, _ options: UnsafePointer<mobilenet_train_options>?,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> mobilenet_status {
    guarded("mobilenet_trainer_load") {
        let bytes = try pathBytes(path)
        guard let out else { throw invalidArgument("out is NULL") }
        let trainer = try Trainer(pathBytes: bytes, options: try trainingOptions(options))
        out.pointee = try TrainerHandle(trainer: trainer).opaque
    }
}

@_cdecl("mobilenet_trainer_new")
public func mobilenet_trainer_new(_ variant: mobilenet_variant, _ widthMultiplier: Float, _ resolution: Int32,
                                  _ numClasses: Int32, _ options: UnsafePointer<mobilenet_train_options>?,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> mobilenet_status {
    guarded("mobilenet_trainer_new") {
        guard let out else { throw invalidArgument("out is NULL") }
        guard let v = Variant(variant) else {
            throw invalidArgument("variant \(Int32(bitPattern: variant.rawValue)) is not a mobilenet_variant")
        }
        guard widthMultiplier.isFinite else { throw invalidArgument("width_multiplier is not finite") }
        let trainer = try Trainer(variant: v, widthMultiplier: Double(widthMultiplier), resolution: Int(resolution),
                                  numClasses: Int(numClasses), options: try trainingOptions(options) ?? TrainingOptions())
        out.pointee = try TrainerHandle(trainer: trainer).opaque
    }
}

@_cdecl("mobilenet_trainer_step")
public func mobilenet_trainer_step(_ trainer: OpaquePointer?, _ input: UnsafePointer<Float>?,
                                   _ labels: UnsafePointer<Int32>?, _ batch: Int32, _ height: Int32, _ width: Int32,
                                   _ outLoss: UnsafeMutablePointer<Float>?) -> mobilenet_status {
    guarded("mobilenet_trainer_step") {
        let loss = try TrainerHandle.from(trainer).trainer.step(input: input, labels: labels, batch: Int(batch),
                                                                height: Int(height), width: Int(width))
        outLoss?.pointee = loss
    }
}

@_cdecl("mobilenet_trainer_evaluate")
public func mobilenet_trainer_evaluate(_ trainer: OpaquePointer?, _ input: UnsafePointer<Float>?,
                                       _ labels: UnsafePointer<Int32>?, _ batch: Int32, _ height: Int32,
                                       _ width: Int32, _ outLoss: UnsafeMutablePointer<Float>?,
                                       _ outCorrect: UnsafeMutablePointer<Int32>?) -> mobilenet_status {
    guarded("mobilenet_trainer_evaluate") {
        let (loss, correct) = try TrainerHandle.from(trainer).trainer.evaluate(
            input: input, labels: labels, batch: Int(batch), height: Int(height), width: Int(width))
        outLoss?.pointee = loss
        outCorrect?.pointee = Int32(correct)
    }
}

@_cdecl("mobilenet_trainer_step_embeddings")
public func mobilenet_trainer_step_embeddings(_ trainer: OpaquePointer?, _ embeddings: UnsafePointer<Float>?,
                                              _ labels: UnsafePointer<Int32>?, _ batch: Int32,
                                              _ outLoss: UnsafeMutablePointer<Float>?) -> mobilenet_status {
    guarded("mobilenet_trainer_step_embeddings") {
        let loss = try TrainerHandle.from(trainer).trainer.stepEmbeddings(embeddings: embeddings, labels: labels,
                                                                          batch: Int(batch))
        outLoss?.pointee = loss
    }
}

@_cdecl("mobilenet_trainer_evaluate_embeddings")
public func mobilenet_trainer_evaluate_embeddings(_ trainer: OpaquePointer?, _ embeddings: UnsafePointer<Float>?,
                                                  _ labels: UnsafePointer<Int32>?, _ batch: Int32,
                                                  _ outLoss: UnsafeMutablePointer<Float>?,
                                                  _ outCorrect: UnsafeMutablePointer<Int32>?) -> mobilenet_status {
    guarded("mobilenet_trainer_evaluate_embeddings") {
        let (loss, correct) = try TrainerHandle.from(trainer).trainer.evaluateEmbeddings(
            embeddings: embeddings, labels: labels, batch: Int(batch))
        outLoss?.pointee = loss
        outCorrect?.pointee = Int32(correct)
    }
}

@_cdecl("mobilenet_trainer_embedding_size")
public func mobilenet_trainer_embedding_size(_ trainer: OpaquePointer?) -> Int32 {
    Int32((try? TrainerHandle.from(trainer))?.trainer.embeddingSize ?? 0)
}

@_cdecl("mobilenet_trainer_set_learning_rate")
public func mobilenet_trainer_set_learning_rate(_ trainer: OpaquePointer?, _ rate: Float) -> mobilenet_status {
    guarded("mobilenet_trainer_set_learning_rate") { try TrainerHandle.from(trainer).trainer.setLearningRate(rate) }
}

@_cdecl("mobilenet_trainer_global_step")
public func mobilenet_trainer_global_step(_ trainer: OpaquePointer?) -> Int64 {
    (try? TrainerHandle.from(trainer))?.trainer.globalStep ?? -1
}

@_cdecl("mobilenet_trainer_num_classes")
public func mobilenet_trainer_num_classes(_ trainer: OpaquePointer?) -> Int32 {
    Int32((try? TrainerHandle.from(trainer))?.trainer.numClasses ?? 0)
}

@_cdecl("mobilenet_trainer_num_tensors")
public func mobilenet_trainer_num_tensors(_ trainer: OpaquePointer?) -> Int32 {
    Int32((try? TrainerHandle.from(trainer))?.trainer.tensorNames.count ?? 0)
}

@_cdecl("mobilenet_trainer_tensor_name")
public func mobilenet_trainer_tensor_name(_ trainer: OpaquePointer?, _ index: Int32) -> UnsafePointer<CChar>? {
    (try? TrainerHandle.from(trainer))?.name(Int(index))
}

/// A C string argument as a Swift string (nil for NULL or invalid UTF-8).
private func tensorName(_ name: UnsafePointer<CChar>?) -> String? {
    guard let name else { return nil }
    let length = strnlen(name, 4096)
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: length)
    return String(validating: bytes, as: UTF8.self)
}

@_cdecl("mobilenet_trainer_tensor_size")
public func mobilenet_trainer_tensor_size(_ trainer: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> Int {
    guard let t = try? TrainerHandle.from(trainer), let n = tensorName(name) else { return 0 }
    return t.trainer.tensorSize(n) ?? 0
}

@_cdecl("mobilenet_trainer_get_tensor")
public func mobilenet_trainer_get_tensor(_ trainer: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                         _ values: UnsafeMutablePointer<Float>?, _ capacity: Int) -> mobilenet_status {
    guarded("mobilenet_trainer_get_tensor") {
        let t = try TrainerHandle.from(trainer)
        guard name != nil else { throw invalidArgument("name is NULL") }
        guard let n = tensorName(name) else { throw invalidArgument("name is not UTF-8 of at most 4095 bytes") }
        guard let values else { throw invalidArgument("values is NULL") }
        // size_t arrives as Int: SIZE_MAX and other sizes past Int.max are "ample".
        try t.trainer.copyTensor(n, into: values, capacity: capacity < 0 ? Int.max : capacity)
    }
}

@_cdecl("mobilenet_trainer_set_labels")
public func mobilenet_trainer_set_labels(_ trainer: OpaquePointer?, _ labels: UnsafePointer<UnsafePointer<CChar>?>?,
                                         _ count: Int32) -> mobilenet_status {
    guarded("mobilenet_trainer_set_labels") {
        let t = try TrainerHandle.from(trainer)
        guard let labels else {
            guard count == 0 else { throw invalidArgument("labels is NULL but count is \(count)") }
            try t.trainer.setLabels(nil)
            return
        }
        guard count == Int32(t.trainer.numClasses) else {
            throw invalidArgument("count is \(count), but the trainer has \(t.trainer.numClasses) classes")
        }
        var names: [String] = []
        for i in 0..<Int(count) {
            guard let p = labels[i] else { throw invalidArgument("labels[\(i)] is NULL") }
            let length = strnlen(p, 256)
            guard length < 256 else { throw invalidArgument("labels[\(i)] is longer than 255 bytes") }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: length)
            guard let s = String(validating: bytes, as: UTF8.self) else { throw invalidArgument("labels[\(i)] is not UTF-8") }
            names.append(s)
        }
        try t.trainer.setLabels(names)
    }
}

@_cdecl("mobilenet_trainer_save")
public func mobilenet_trainer_save(_ trainer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> mobilenet_status {
    guarded("mobilenet_trainer_save") {
        let t = try TrainerHandle.from(trainer)
        try t.trainer.save(pathBytes: try pathBytes(path))
    }
}

@_cdecl("mobilenet_trainer_export")
public func mobilenet_trainer_export(_ trainer: OpaquePointer?, _ options: UnsafePointer<mobilenet_options>?,
                                     _ out: UnsafeMutablePointer<OpaquePointer?>?) -> mobilenet_status {
    guarded("mobilenet_trainer_export") {
        let t = try TrainerHandle.from(trainer)
        guard let out else { throw invalidArgument("out is NULL") }
        try store(t.trainer.export(options: try loadOptions(options)), into: out)
    }
}

@_cdecl("mobilenet_trainer_free")
public func mobilenet_trainer_free(_ trainer: OpaquePointer?) {
    guard let trainer else { return }
    Unmanaged<TrainerHandle>.fromOpaque(UnsafeRawPointer(trainer)).release()
}
