/// How a trainer trains: TF-Slim's train_image_classifier.py flags and
/// mobilenet_v1_arg_scope's BatchNorm settings (docs/training.md maps each).
public struct TrainingOptions: Sendable, Equatable {
    public enum Optimizer: Int, Sendable, CaseIterable {
        case rmsprop = 0, momentum = 1, sgd = 2, adam = 3
        public var name: String { ["rmsprop", "momentum", "sgd", "adam"][rawValue] }
        public init?(name: String) {
            guard let o = Optimizer.allCases.first(where: { $0.name == name }) else { return nil }
            self = o
        }
    }

    public enum BatchNormMode: Int, Sendable, CaseIterable {
        /// Batch statistics, moving statistics updated (is_training=True).
        case train = 0
        /// Moving statistics, nothing updated.
        case frozen = 1
        public var name: String { self == .train ? "train" : "frozen" }
        public init?(name: String) {
            guard let m = BatchNormMode.allCases.first(where: { $0.name == name }) else { return nil }
            self = m
        }
    }

    public var numThreads = 0
    public var optimizer = Optimizer.rmsprop
    public var learningRate: Float = 0.01
    public var momentum: Float = 0.9
    public var rmspropDecay: Float = 0.9
    public var epsilon: Float = 1.0
    public var weightDecay: Float = 0.00004
    public var labelSmoothing: Float = 0
    public var batchNorm = BatchNormMode.train
    public var batchNormDecay: Float = 0.9997
    /// nil or "": every layer trains.
    public var trainableFrom: String? = nil
    /// 0: keep the file's classifier.
    public var numClasses = 0
    public var seed: UInt64 = 0
    public var adamBeta1: Float = 0.9
    public var adamBeta2: Float = 0.999

    public init() {}

    public func validate() throws {
        guard (0...LoadOptions.maxThreads).contains(numThreads) else {
            throw MobileNetError.invalid("num_threads \(numThreads) is outside 0...\(LoadOptions.maxThreads)")
        }
        try TrainingOptions.checkLearningRate(learningRate)
        func unit(_ name: String, _ v: Float) throws {
            guard v.isFinite, v >= 0, v < 1 else { throw MobileNetError.invalid("\(name) \(v) is outside [0, 1)") }
        }
        try unit("momentum", momentum)
        try unit("rmsprop_decay", rmspropDecay)
        try unit("label_smoothing", labelSmoothing)
        try unit("batchnorm_decay", batchNormDecay)
        try unit("adam_beta1", adamBeta1)
        try unit("adam_beta2", adamBeta2)
        guard epsilon.isFinite, epsilon.isNormal, epsilon > 0 else {
            throw MobileNetError.invalid("epsilon \(epsilon) is not a finite, normal number > 0")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw MobileNetError.invalid("weight_decay \(weightDecay) is not finite and >= 0")
        }
        guard numClasses == 0 || (1...Architecture.maxClasses).contains(numClasses) else {
            throw MobileNetError.invalid("num_classes \(numClasses) is outside 0 (keep) or 1...\(Architecture.maxClasses)")
        }
    }

    static func checkLearningRate(_ rate: Float) throws {
        guard rate.isFinite, rate.isNormal, rate > 0 else {
            throw MobileNetError.invalid("learning_rate \(rate) is not a finite, normal number > 0")
        }
    }

    /// The options as checkpoint metadata (floats in Swift's shortest
    /// round-trip form, so a resumed trainer gets the same bits).
    var metadata: [String: String] {
        [
            "optimizer": optimizer.name, "learning_rate": "\(learningRate)", "momentum": "\(momentum)",
            "rmsprop_decay": "\(rmspropDecay)", "epsilon": "\(epsilon)", "weight_decay": "\(weightDecay)",
            "label_smoothing": "\(labelSmoothing)", "batchnorm": batchNorm.name,
            "batchnorm_decay": "\(batchNormDecay)", "trainable_from": trainableFrom ?? "",
            "seed": "\(seed)", "adam_beta1": "\(adamBeta1)", "adam_beta2": "\(adamBeta2)",
        ]
    }

    /// Options read back from checkpoint metadata.
    init(metadata fields: [String: String]) throws {
        func text(_ key: String) throws -> String {
            guard let v = fields[key] else { throw MobileNetError.format("checkpoint metadata has no '\(key)'") }
            return v
        }
        func float(_ key: String) throws -> Float {
            let t = try text(key)
            guard let v = Float(t), v.isFinite else {
                throw MobileNetError.format("checkpoint metadata '\(key)' is '\(NumberText.quoted(t))', not a finite number")
            }
            return v
        }
        self.init()
        guard let o = Optimizer(name: try text("optimizer")) else {
            throw MobileNetError.format("checkpoint metadata 'optimizer' is not rmsprop, momentum, sgd or adam")
        }
        optimizer = o
        guard let b = BatchNormMode(name: try text("batchnorm")) else {
            throw MobileNetError.format("checkpoint metadata 'batchnorm' is not train or frozen")
        }
        batchNorm = b
        learningRate = try float("learning_rate")
        momentum = try float("momentum")
        rmspropDecay = try float("rmsprop_decay")
        epsilon = try float("epsilon")
        weightDecay = try float("weight_decay")
        labelSmoothing = try float("label_smoothing")
        batchNormDecay = try float("batchnorm_decay")
        adamBeta1 = try float("adam_beta1")
        adamBeta2 = try float("adam_beta2")
        let from = try text("trainable_from")
        trainableFrom = from.isEmpty ? nil : from
        guard let s = UInt64(try text("seed")) else { throw MobileNetError.format("checkpoint metadata 'seed' is not an integer") }
        seed = s
        do { try validate() } catch let error as MobileNetError {
            throw MobileNetError.format("checkpoint options are invalid: \(error.message)")
        }
    }
}
