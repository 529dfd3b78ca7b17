import MobileNetKernelInterface

/// A network being trained with TF-Slim's semantics (docs/training.md): the
/// canonical parameters (BatchNorm unfolded), the moving statistics, the
/// optimizer's slots and the global step. Mutable: one thread at a time;
/// each step spreads over the trainer's pool, with bit-identical results for
/// any thread count.
public final class Trainer {
    public let architecture: Architecture
    public private(set) var options: TrainingOptions
    public private(set) var globalStep: Int64
    public private(set) var labels: [String]?
    /// The side of the last square batch `step` trained on: the resolution
    /// saved and exported models declare (classify then resizes to what the
    /// weights learned), else the base file's.
    public private(set) var trainedResolution: Int?
    /// The model metadata saved and exported with the weights.
    let baseMetadata: ModelMetadata
    /// Every tensor in checkpoint order: variables and moving statistics
    /// (the model file's order), then slots, then Adam's beta powers.
    public private(set) var tensorNames: [String] = []
    private var tensorsByName: [String: Tensor] = [:]
    private var variableTensors: [Tensor] = []
    let blocks: [ConvBlock]
    let head: ClassifierHead
    let context: TrainingContext
    private var workspace: TrainingWorkspace?
    private var trainable: [Variable] = []
    private var betaPowers: (Tensor, Tensor)?
    /// Per pool slot: the first element whose update would not be finite, or -1.
    private let failureFlags: AlignedBuffer

    public var numClasses: Int { architecture.numClasses }
    public var kernelTier: ISATier { context.kernels.tier }

    // MARK: Creating

    /// A new network initialised as TF-Slim does from scratch, from options.seed.
    public convenience init(variant: Variant, widthMultiplier: Double, resolution: Int, numClasses: Int,
                            options: TrainingOptions) throws {
        try options.validate()
        guard (1...4096).contains(resolution) else {
            throw MobileNetError.invalid("resolution \(resolution) is outside 1...4096")
        }
        let architecture = try Architecture(variant: variant, widthMultiplier: widthMultiplier, numClasses: numClasses)
        let metadata = try ModelMetadata(Trainer.modelFields(
            architecture: architecture, resolution: resolution, epsilon: 0.001, mean: [127.5, 127.5, 127.5],
            scale: [Float](repeating: Float(1 / 127.5), count: 3), labels: nil, source: "mobilenet_trainer_new",
            license: nil))
        var random = TruncatedNormal(seed: options.seed)
        try self.init(architecture: architecture, metadata: metadata, options: options, globalStep: 0,
                      labels: nil, tensor: { name, shape in try Trainer.initialTensor(name, shape, &random) },
                      slot: { _, _ in nil })
    }

    /// Opens a model file or a checkpoint (see mobilenet_trainer_load).
    /// `options` nil: a checkpoint's own options, else the defaults.
    public convenience init(pathBytes path: [CChar], options requested: TrainingOptions?) throws {
        try requested?.validate()
        let source = try FileByteSource(pathBytes: path)
        guard try !TFLiteLoader.isTFLite(source) else {
            // A .tflite holds BatchNorm folded (and 8-bit ones quantized): not
            // the canonical parameters training needs.
            throw MobileNetError(.unsupported, "a .tflite file cannot be trained (BatchNorm is folded into it); "
                                 + "start from a safetensors model or checkpoint")
        }
        let file = try ModelFile(source)
        let header = file.header, metadata = file.metadata, parameters = file.parameters
        let fileArchitecture = file.architecture
        let isCheckpoint = header.metadata[Trainer.checkpointKey] != nil
        var options = requested ?? TrainingOptions()
        var globalStep: Int64 = 0
        if isCheckpoint {
            let stored = try TrainingOptions(metadata: header.metadata)
            if requested == nil { options = stored }
            guard let text = header.metadata["global_step"], let step = Int64(text), step >= 0 else {
                throw MobileNetError.format("checkpoint metadata 'global_step' is not an integer >= 0")
            }
            globalStep = step
        }
        var architecture = fileArchitecture
        var labels = metadata.labels
        let replaceHead = options.numClasses != 0
        if replaceHead {
            architecture = try Architecture(variant: metadata.variant, widthMultiplier: metadata.widthMultiplier,
                                            numClasses: options.numClasses)
            labels = nil
        }
        var random = TruncatedNormal(seed: options.seed)
        let headNames = Set([LogitsLayer.weightsName, LogitsLayer.biasesName])
        try self.init(architecture: architecture, metadata: metadata, options: options, globalStep: globalStep,
                      labels: labels, tensor: { name, shape in
            if replaceHead && headNames.contains(name) { return try Trainer.initialTensor(name, shape, &random) }
            let t = try Tensor(name: name, shape: shape)
            let values = try parameters.tensor(name)
            t.pointer.update(from: values.pointer, count: t.count)
            return t
        }, slot: { name, shape in
            guard isCheckpoint, let entry = header.entries[name] else { return nil }
            if replaceHead && headNames.contains(where: { name.hasPrefix($0 + "/") }) { return nil }
            guard entry.dtype == "F32", entry.shape == shape else {
                throw MobileNetError.format("checkpoint slot '\(name)' has \(entry.dtype) \(entry.shape), not F32 \(shape)")
            }
            let t = try Tensor(name: name, shape: shape)
            let values = try parameters.tensor(name)
            t.pointer.update(from: values.pointer, count: t.count)
            return t
        })
    }

    static let checkpointKey = "checkpoint"

    private static func initialTensor(_ name: String, _ shape: [Int], _ random: inout TruncatedNormal) throws -> Tensor {
        if name.hasSuffix("/weights") || name.hasSuffix("/depthwise_weights") {
            let t = try Tensor(name: name, shape: shape)
            random.fill(t.pointer, count: t.count, stddev: 0.09)
            return t
        }
        let ones = name.hasSuffix("/gamma") || name.hasSuffix("/moving_variance")
        return try Tensor(name: name, shape: shape, fill: ones ? 1 : 0)
    }

    private init(architecture: Architecture, metadata: ModelMetadata, options: TrainingOptions, globalStep: Int64,
                 labels: [String]?, tensor: (String, [Int]) throws -> Tensor,
                 slot: (String, [Int]) throws -> Tensor?) throws {
        self.architecture = architecture
        self.options = options
        self.globalStep = globalStep
        self.labels = labels
        baseMetadata = metadata
        for (name, shape) in NetworkCompiler.expectedTensors(architecture) {
            let t = try tensor(name, shape)
            variableTensors.append(t)
            tensorsByName[name] = t
        }
        let epsilon = Float(metadata.batchNormEpsilon)
        for t in variableTensors where t.name.hasSuffix("/moving_variance") {
            for i in 0..<t.count where !(t.pointer[i] + epsilon > 0) {
                throw MobileNetError.format("'\(t.name)' + epsilon is not positive for channel \(i)")
            }
        }
        let lookup: (String) throws -> Tensor = { [tensorsByName] name in
            guard let t = tensorsByName[name] else { throw MobileNetError(.internal, "no tensor '\(name)'") }
            return t
        }
        var blocks: [ConvBlock] = []
        var headSpec: LayerSpec?
        for spec in architecture.layers {
            switch spec.type {
            case .averagePool: continue
            case .fullyConnected: headSpec = spec
            default: blocks.append(try ConvBlock(spec: spec, tensors: lookup, epsilon: epsilon))
            }
        }
        self.blocks = blocks
        head = try ClassifierHead(spec: headSpec!, tensors: lookup)
        let threads = options.numThreads == 0 ? min(ThreadPool.onlineCores, 64) : options.numThreads
        let tier = try KernelSelection.tierForLoad()
        context = try TrainingContext(kernels: KernelSelection.trainingKernels(tier),
                                      inference: KernelSelection.kernels(tier), pool: try ThreadPool(threadCount: threads))
        failureFlags = try AlignedBuffer(count: threads)
        try configureTraining(slot: slot)
    }

    /// Marks the trainable variables (from `options.trainableFrom` on),
    /// gives each its optimizer's slots (from the checkpoint when it has them).
    private func configureTraining(slot: (String, [Int]) throws -> Tensor?) throws {
        let names = architecture.layers.map(\.name)
        var first = 0
        if let from = options.trainableFrom, !from.isEmpty {
            guard let index = names.firstIndex(of: from) else {
                throw MobileNetError.invalid("trainable_from '\(from)' is not a layer of this network (its layers: "
                                             + names.joined(separator: ", ") + ")")
            }
            first = index
        }
        let trainableLayers = Set(names[first...])
        var variables: [Variable] = []
        for block in blocks where trainableLayers.contains(block.spec.name) { variables += block.variables }
        if trainableLayers.contains(head.spec.name) { variables += head.variables }
        trainable = variables
        tensorNames = variableTensors.map(\.name)
        for v in variables {
            try v.makeTrainable()
            v.slots = try OptimizerRule.slotNames(options.optimizer).map { suffix in
                let name = v.name + "/" + suffix
                if let stored = try slot(name, v.tensor.shape) {
                    for i in 0..<stored.count where suffix == "RMSProp" || suffix == "Adam_1" {
                        guard stored.pointer[i] >= 0 else {
                            throw MobileNetError.format("checkpoint slot '\(name)' holds a negative value at \(i)")
                        }
                    }
                    return stored
                }
                return try Tensor(name: name, shape: v.tensor.shape, fill: OptimizerRule.initialValue(suffix))
            }
            for s in v.slots { tensorsByName[s.name] = s; tensorNames.append(s.name) }
        }
        if options.optimizer == .adam {
            func power(_ name: String, _ beta: Float) throws -> Tensor {
                if let stored = try slot(name, []) { return stored }
                return try Tensor(name: name, shape: [], fill: beta)
            }
            let powers = (try power("beta1_power", options.adamBeta1), try power("beta2_power", options.adamBeta2))
            for p in [powers.0, powers.1] {
                guard p.pointer[0] > 0, p.pointer[0] <= 1 else {
                    throw MobileNetError.format("checkpoint '\(p.name)' is \(p.pointer[0]), not in (0, 1]")
                }
                tensorsByName[p.name] = p
                tensorNames.append(p.name)
            }
            betaPowers = powers
        }
    }

    /// The first block whose gradient is needed (blocks.count: only the head trains).
    private var firstTrainableBlock: Int {
        blocks.firstIndex { $0.weights.trainable } ?? blocks.count
    }

    // MARK: Steps

    static func validateBatch(input: UnsafePointer<Float>?, labels: UnsafePointer<Int32>?, batch: Int, height: Int,
                              width: Int, classes: Int) throws -> (UnsafePointer<Float>, UnsafePointer<Int32>) {
        guard let input else { throw MobileNetError.invalid("input is NULL") }
        guard let labels else { throw MobileNetError.invalid("labels is NULL") }
        guard (1...Model.maxBatch).contains(batch) else {
            throw MobileNetError.invalid("batch \(batch) is outside 1...\(Model.maxBatch)")
        }
        guard (1...4096).contains(height), (1...4096).contains(width) else {
            throw MobileNetError.invalid("image size \(height) x \(width) is outside 1...4096")
        }
        let (a, o1) = batch.multipliedReportingOverflow(by: height)
        let (b, o2) = a.multipliedReportingOverflow(by: width)
        let (count, o3) = b.multipliedReportingOverflow(by: 3)
        guard !o1, !o2, !o3 else { throw MobileNetError.invalid("batch x height x width x 3 overflows") }
        for i in 0..<batch where labels[i] < 0 || Int(labels[i]) >= classes {
            throw MobileNetError.invalid("labels[\(i)] is \(labels[i]), outside 0...\(classes - 1)")
        }
        for i in 0..<count where !input[i].isFinite {
            throw MobileNetError.invalid("input[\(i)] is not a finite number")
        }
        return (input, labels)
    }

    private func workspace(batch: Int, height: Int, width: Int) throws -> TrainingWorkspace {
        if let w = workspace, w.batch == batch, w.height == height, w.width == width { return w }
        workspace = nil  // free the old plan before the new one is allocated
        let w = try TrainingWorkspace(blocks: blocks, head: head, batch: batch, height: height, width: width,
                                      ctx: context)
        workspace = w
        return w
    }

    private func forward(_ w: TrainingWorkspace, input: UnsafePointer<Float>, batchStatistics: Bool) {
        var x = input
        for (i, block) in blocks.enumerated() {
            block.forward(context, batch: w.batch, w.geometries[i], x: x, z: w.z[i].pointer, a: w.a[i].pointer,
                          batchStatistics: batchStatistics)
            x = UnsafePointer(w.a[i].pointer)
        }
        head.forward(context, batch: w.batch, pixels: w.lastPixels, a: x, pooled: w.pooled.pointer,
                     logits: w.logits.pointer)
    }

    /// One step (see mobilenet_trainer_step); returns the loss before the update.
    public func step(input: UnsafePointer<Float>?, labels: UnsafePointer<Int32>?, batch: Int, height: Int,
                     width: Int) throws -> Float {
        let (input, labels) = try Trainer.validateBatch(input: input, labels: labels, batch: batch, height: height,
                                                        width: width, classes: numClasses)
        let w = try workspace(batch: batch, height: height, width: width)
        let batchStatistics = options.batchNorm == .train
        forward(w, input: input, batchStatistics: batchStatistics)
        let loss = head.loss(logits: w.logits.pointer, labels: labels, batch: batch,
                             labelSmoothing: options.labelSmoothing, gradient: w.dLogits.pointer)
        guard loss.isFinite else { throw MobileNetError.invalid("the loss is not finite; nothing was updated") }
        let first = firstTrainableBlock
        var grad = w.gradient.0.pointer, other = w.gradient.1.pointer
        head.backward(context, batch: batch, pixels: w.lastPixels, pooled: w.pooled.pointer,
                      dLogits: w.dLogits.pointer, dPooled: w.dPooled.pointer, da: first < blocks.count ? grad : nil)
        var i = blocks.count - 1
        while i >= first {
            let x = i == 0 ? input : UnsafePointer(w.a[i - 1].pointer)
            blocks[i].backward(context, batch: batch, w.geometries[i], x: x, z: w.z[i].pointer, grad: grad,
                               dx: i > first ? other : nil, batchStatistics: batchStatistics)
            swap(&grad, &other)
            i -= 1
        }
        try applyUpdates()
        if batchStatistics {
            for (i, block) in blocks.enumerated() {
                let g = w.geometries[i]
                block.updateMovingStatistics(decay: options.batchNormDecay, rows: batch * g.outputHeight * g.outputWidth)
            }
        }
        globalStep += 1
        if height == width { trainedResolution = height }
        return Float(loss)
    }

    /// Checks every new value first, so a step that would make one non-finite changes nothing.
    private func applyUpdates() throws {
        let hyper = OptimizerRule.Hyper(options: options, learningRate: options.learningRate,
                                        beta1Power: betaPowers?.0.pointer[0] ?? 1, beta2Power: betaPowers?.1.pointer[0] ?? 1)
        let decay = options.weightDecay
        // Elementwise, so split across the pool (4.2M weights at 1.0/224:
        // about 30 ms a step on one thread); a failure is flagged per slot.
        let flags = failureFlags.pointer
        for v in trainable {
            flags.initialize(repeating: -1, count: context.pool.threadCount)
            context.pool.forEachRange(v.tensor.count, granule: 4096,
                                      OptimizerUpdate(variable: v, hyper: hyper, weightDecay: decay, commit: false,
                                                      failures: flags))
            for slot in 0..<context.pool.threadCount where flags[slot] >= 0 {
                throw MobileNetError.invalid("the step would make '\(v.name)' non-finite (near element \(Int(flags[slot]))); nothing was updated")
            }
        }
        for v in trainable {
            context.pool.forEachRange(v.tensor.count, granule: 4096,
                                      OptimizerUpdate(variable: v, hyper: hyper, weightDecay: decay, commit: true,
                                                      failures: flags))
        }
        if let (b1, b2) = betaPowers {
            b1.pointer[0] *= options.adamBeta1
            b2.pointer[0] *= options.adamBeta2
        }
    }

    /// Mean cross-entropy (no smoothing) and top-1 hits on the moving statistics; changes nothing.
    public func evaluate(input: UnsafePointer<Float>?, labels: UnsafePointer<Int32>?, batch: Int, height: Int,
                         width: Int) throws -> (loss: Float, correct: Int) {
        let (input, labels) = try Trainer.validateBatch(input: input, labels: labels, batch: batch, height: height,
                                                        width: width, classes: numClasses)
        let w = try workspace(batch: batch, height: height, width: width)
        forward(w, input: input, batchStatistics: false)
        let loss = head.loss(logits: w.logits.pointer, labels: labels, batch: batch, labelSmoothing: 0, gradient: nil)
        return (Float(loss), head.correct(logits: w.logits.pointer, labels: labels, batch: batch))
    }

    // MARK: Head-only steps on cached embeddings

    /// Floats per image of the pooled features the Logits take.
    public var embeddingSize: Int { head.channels }

    /// Logits, their gradient and dPooled for head-only steps at one batch size.
    private var headBuffers: (batch: Int, logits: AlignedBuffer, dLogits: AlignedBuffer, dPooled: AlignedBuffer)?

    private func headBuffers(batch: Int) throws -> (logits: AlignedBuffer, dLogits: AlignedBuffer, dPooled: AlignedBuffer) {
        if let b = headBuffers, b.batch == batch { return (b.logits, b.dLogits, b.dPooled) }
        headBuffers = nil
        try context.reserve(head.needs(context, batch: batch))
        let b = (batch: batch, logits: try AlignedBuffer(count: batch * head.classes),
                 dLogits: try AlignedBuffer(count: batch * head.classes),
                 dPooled: try AlignedBuffer(count: batch * head.channels))
        headBuffers = b
        return (b.logits, b.dLogits, b.dPooled)
    }

    private func validateEmbeddings(_ embeddings: UnsafePointer<Float>?, _ labels: UnsafePointer<Int32>?,
                                    batch: Int) throws -> (UnsafePointer<Float>, UnsafePointer<Int32>) {
        guard let embeddings else { throw MobileNetError.invalid("embeddings is NULL") }
        guard let labels else { throw MobileNetError.invalid("labels is NULL") }
        guard (1...Model.maxBatch).contains(batch) else {
            throw MobileNetError.invalid("batch \(batch) is outside 1...\(Model.maxBatch)")
        }
        for i in 0..<batch where labels[i] < 0 || Int(labels[i]) >= numClasses {
            throw MobileNetError.invalid("labels[\(i)] is \(labels[i]), outside 0...\(numClasses - 1)")
        }
        for i in 0..<batch * embeddingSize where !embeddings[i].isFinite {
            throw MobileNetError.invalid("embeddings[\(i)] is not a finite number")
        }
        return (embeddings, labels)
    }

    /// One step of the Logits alone on pooled features (the "head" recipe).
    public func stepEmbeddings(embeddings: UnsafePointer<Float>?, labels: UnsafePointer<Int32>?, batch: Int) throws -> Float {
        guard firstTrainableBlock == blocks.count, head.weights.trainable else {
            throw MobileNetError.invalid("steps on embeddings need the Logits alone to train (trainable_from "
                                         + "\"Logits\"); this trainer trains from '\(options.trainableFrom ?? blocks[0].spec.name)'")
        }
        let (embeddings, labels) = try validateEmbeddings(embeddings, labels, batch: batch)
        let b = try headBuffers(batch: batch)
        head.logits(context, batch: batch, pooled: embeddings, logits: b.logits.pointer)
        let loss = head.loss(logits: b.logits.pointer, labels: labels, batch: batch,
                             labelSmoothing: options.labelSmoothing, gradient: b.dLogits.pointer)
        guard loss.isFinite else { throw MobileNetError.invalid("the loss is not finite; nothing was updated") }
        head.backward(context, batch: batch, pixels: 1, pooled: embeddings, dLogits: b.dLogits.pointer,
                      dPooled: b.dPooled.pointer, da: nil)
        try applyUpdates()
        globalStep += 1
        return Float(loss)
    }

    /// Loss (no smoothing) and top-1 hits of the Logits on pooled features; changes nothing.
    public func evaluateEmbeddings(embeddings: UnsafePointer<Float>?, labels: UnsafePointer<Int32>?,
                                   batch: Int) throws -> (loss: Float, correct: Int) {
        let (embeddings, labels) = try validateEmbeddings(embeddings, labels, batch: batch)
        let b = try headBuffers(batch: batch)
        head.logits(context, batch: batch, pooled: embeddings, logits: b.logits.pointer)
        let loss = head.loss(logits: b.logits.pointer, labels: labels, batch: batch, labelSmoothing: 0, gradient: nil)
        return (Float(loss), head.correct(logits: b.logits.pointer, labels: labels, batch: batch))
    }

    public func setLearningRate(_ rate: Float) throws {
        try TrainingOptions.checkLearningRate(rate)
        options.learningRate = rate
    }

    // MARK: Tensors, labels, saving, export

    public func tensorSize(_ name: String) -> Int? { tensorsByName[name]?.count }

    /// Copies tensor `name` into `values` (capacity floats).
    public func copyTensor(_ name: String, into values: UnsafeMutablePointer<Float>, capacity: Int) throws {
        guard let t = tensorsByName[name] else {
            throw MobileNetError.invalid("no tensor '\(name)' (mobilenet_trainer_tensor_name lists them)")
        }
        guard capacity >= t.count else {
            throw MobileNetError(.bufferTooSmall, "tensor '\(name)' has \(t.count) floats; capacity is \(capacity)")
        }
        values.update(from: t.pointer, count: t.count)
    }

    public func setLabels(_ labels: [String]?) throws {
        if let labels {
            guard labels.count == numClasses else {
                throw MobileNetError.invalid("\(labels.count) labels for \(numClasses) classes")
            }
            for (i, label) in labels.enumerated() {
                guard (1...255).contains(label.utf8.count), !label.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                    throw MobileNetError.invalid("label \(i) is empty, longer than 255 bytes or holds a control character")
                }
            }
        }
        self.labels = labels
    }

    static func modelFields(architecture: Architecture, resolution: Int, epsilon: Double, mean: [Float],
                            scale: [Float], labels: [String]?, source: String?, license: String?) -> [String: String] {
        func array(_ v: [Float]) -> String { "[" + v.map { "\($0)" }.joined(separator: ",") + "]" }
        var fields = [
            "architecture": "mobilenet_v1", "variant": architecture.variant.name,
            "width_multiplier": "\(architecture.widthMultiplier)", "resolution": "\(resolution)",
            "num_classes": "\(architecture.numClasses)", "batchnorm_epsilon": "\(epsilon)",
            "input_mean": array(mean), "input_scale": array(scale),
        ]
        if let labels { fields["labels"] = "[" + labels.map(CheckpointFile.jsonString).joined(separator: ",") + "]" }
        if let source { fields["source"] = source }
        if let license { fields["license"] = license }
        return fields
    }

    private var modelFields: [String: String] {
        Trainer.modelFields(architecture: architecture, resolution: trainedResolution ?? baseMetadata.resolution,
                            epsilon: baseMetadata.batchNormEpsilon, mean: baseMetadata.inputMean,
                            scale: baseMetadata.inputScale, labels: labels, source: baseMetadata.source,
                            license: baseMetadata.license)
    }

    /// Writes the checkpoint atomically (see CheckpointFile).
    public func save(pathBytes path: [CChar]) throws {
        var metadata = modelFields
        for (k, v) in options.metadata { metadata[k] = v }
        metadata[Trainer.checkpointKey] = "1"
        metadata["global_step"] = "\(globalStep)"
        try CheckpointFile.write(pathBytes: path, metadata: metadata, tensors: tensorNames.map { tensorsByName[$0]! })
    }

    /// An inference model of the current weights, compiled as a saved file would be.
    public func export(options: LoadOptions) throws -> Model {
        try options.validate()
        let metadata = try ModelMetadata(modelFields)
        return try Model(architecture: architecture, metadata: metadata,
                         parameters: TensorParameters(tensors: tensorsByName),
                         tier: try Model.tier(options), options: options)
    }
}

/// One range of a variable's optimizer update: a checking pass (commit false,
/// which records the first non-finite element of the range in its slot's
/// flag) or the writing pass.
private struct OptimizerUpdate: RangeWork {
    let variable: Variable, hyper: OptimizerRule.Hyper, weightDecay: Float, commit: Bool
    let failures: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>, slot: Int) {
        for i in range {
            let g = OptimizerRule.gradient(variable, i, weightDecay: weightDecay)
            let ok = OptimizerRule.update(variable, i, g, hyper, commit: commit)
            if !commit && (!g.isFinite || !ok) {
                if failures[slot] < 0 { failures[slot] = Float(i) }
                return
            }
        }
    }
}

/// The trainer's tensors as compile input, read in place: no Swift array
/// copy, whose allocation failure would trap (402 MB at 100,000 classes).
private struct TensorParameters: ParameterReader {
    let tensors: [String: Tensor]

    private func checked(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw MobileNetError.format("tensor '\(name)' is missing") }
        for i in 0..<t.count where !t.pointer[i].isFinite {
            throw MobileNetError.format("tensor '\(name)' holds a NaN or infinite value at element \(i)")
        }
        return t
    }

    func tensor(_ name: String) throws -> AlignedBuffer {
        let t = try checked(name)
        let buffer = try AlignedBuffer(count: t.count, zeroed: false)
        buffer.pointer.update(from: t.pointer, count: t.count)
        return buffer
    }

    func forEachRow(_ name: String, rows: Int, columns: Int,
                    _ body: (Int, UnsafeMutablePointer<Float>) throws -> Void) throws {
        let t = try checked(name)
        guard t.count == rows * columns else {
            throw MobileNetError(.internal, "tensor '\(name)' has \(t.count) values, not \(rows) x \(columns)")
        }
        let row = try AlignedBuffer(count: columns, zeroed: false)  // the reader may scale it in place
        for r in 0..<rows {
            row.pointer.update(from: t.pointer + r * columns, count: columns)
            try body(r, row.pointer)
        }
    }
}
