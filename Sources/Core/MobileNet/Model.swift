#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MobileNetKernelInterface

/// How a model is loaded.
public struct LoadOptions: Sendable {
    public static let maxThreads = 256
    /// Threads per inference: 0 = one per online core.
    public var numThreads: Int = 0
    /// Central crop kept by `classify` (0, 1].
    public var cropFraction: Double = Preprocessing.defaultCropFraction
    /// The fastest kernel tier to use: nil = the best this CPU runs. Either
    /// way MOBILENET_MAX_ISA caps it, and a tier the CPU lacks is an error.
    public var maxTier: ISATier? = nil

    public init(numThreads: Int = 0, cropFraction: Double = Preprocessing.defaultCropFraction,
                maxTier: ISATier? = nil) {
        self.numThreads = numThreads
        self.cropFraction = cropFraction
        self.maxTier = maxTier
    }

    func validate() throws {
        guard (0...LoadOptions.maxThreads).contains(numThreads) else {
            throw MobileNetError.invalid("num_threads \(numThreads) is outside 0...\(LoadOptions.maxThreads)")
        }
        guard cropFraction.isFinite, cropFraction > 0, cropFraction <= 1 else {
            throw MobileNetError.invalid("crop fraction \(cropFraction) is outside (0, 1]")
        }
    }
}

/// A loaded MobileNet: immutable after load and safe to use from any number
/// of threads at once.
public final class Model {
    public static let maxBatch = 4096
    public static let maxImageSide = 65536

    public let metadata: ModelMetadata
    public let architecture: Architecture
    public let preprocessing: Preprocessing
    let network: Network
    let arenas: ArenaCache
    /// float32, or the 8-bit type of a quantized .tflite file.
    public let precision: Precision

    public var numClasses: Int { architecture.numClasses }
    public var labels: [String]? { metadata.labels }
    public var threadCount: Int { network.pool.threadCount }
    /// The instruction-set tier of the kernels this model runs on.
    public var kernelTier: ISATier { network.kernels.tier }

    /// Loads a safetensors model file (read, not mapped; see ByteSource).
    public convenience init(pathBytes path: [CChar], options: LoadOptions = LoadOptions()) throws {
        try options.validate()
        try self.init(source: try FileByteSource(pathBytes: path), options: options)
    }

    /// Loads a model from the bytes of a safetensors file; they are not retained.
    public convenience init(bytes: UnsafeRawBufferPointer, options: LoadOptions = LoadOptions()) throws {
        try options.validate()
        guard bytes.baseAddress != nil || bytes.isEmpty else { throw MobileNetError.invalid("no model bytes") }
        try self.init(source: MemoryByteSource(bytes: bytes), options: options)
    }

    private convenience init(source: ByteSource, options: LoadOptions) throws {
        let tier = try Model.tier(options)
        if try TFLiteLoader.isTFLite(source) {
            try self.init(tflite: source, tier: tier, options: options)
        } else {
            let file = try ModelFile(source)
            try self.init(architecture: file.architecture, metadata: file.metadata, parameters: file.parameters,
                          tier: tier, options: options)
        }
    }

    /// Compiles canonical parameters (from a file, or held in memory) for one
    /// tier: the one path every float model takes.
    convenience init(architecture: Architecture, metadata: ModelMetadata, parameters: ParameterReader, tier: ISATier,
                     options: LoadOptions) throws {
        let kernels = KernelSelection.kernels(tier)
        let layers = try NetworkCompiler.compile(architecture, parameters: parameters, kernels: kernels,
                                                 epsilon: metadata.batchNormEpsilon)
        try self.init(architecture: architecture, metadata: metadata, layers: layers, kernels: kernels,
                      precision: .float32, options: options)
    }

    /// A .tflite file: float32 ones compile through the canonical
    /// parameters like any float model, int8 and uint8 ones through the
    /// 8-bit compile step.
    private convenience init(tflite source: ByteSource, tier: ISATier, options: LoadOptions) throws {
        let loaded = try TFLiteLoader.load(source)
        let kernels = KernelSelection.kernels(tier)
        switch loaded.content {
        case let .float(parameters):
            try self.init(architecture: loaded.architecture, metadata: loaded.metadata, parameters: parameters,
                          tier: tier, options: options)
        case let .quantized(network):
            let layers = try QuantizedNetworkCompiler.compile(network, kernels: KernelSelection.qs8Kernels(tier))
            try self.init(architecture: loaded.architecture, metadata: loaded.metadata, layers: layers,
                          kernels: kernels, precision: network.element == .int8 ? .int8 : .uint8, options: options)
        }
    }

    /// A model of compiled operators: the network, its thread pool and arena cache.
    init(architecture: Architecture, metadata: ModelMetadata, layers: [any Operator], kernels: any F32Kernels,
         precision: Precision, options: LoadOptions) throws {
        self.architecture = architecture
        self.metadata = metadata
        self.precision = precision
        let threads = options.numThreads == 0 ? min(ThreadPool.onlineCores, 64) : options.numThreads
        network = try Network(layers: layers, kernels: kernels, pool: try ThreadPool(threadCount: threads),
                              numClasses: architecture.numClasses)
        // A batch run holds one arena per thread, and concurrent callers one
        // each: keep at least threads + 2 arenas of the model's resolution,
        // and any mix of sizes up to 128 MiB (18 arenas at 1.0/224).
        let resolutionBytes = network.arenaBytes(height: metadata.resolution, width: metadata.resolution)
        let (budget, overflow) = resolutionBytes.multipliedReportingOverflow(by: threads + 2)
        arenas = ArenaCache(budgetBytes: max(overflow ? Int.max : budget, Model.minimumArenaBudget))
        preprocessing = Preprocessing(cropFraction: options.cropFraction, mean: metadata.inputMean,
                                      scale: metadata.inputScale)
    }

    /// Arenas of any sizes are kept up to this many bytes (see the header).
    public static let minimumArenaBudget = 128 << 20

    /// The tier a load with `options` gets.
    static func tier(_ options: LoadOptions) throws -> ISATier {
        var tier = try KernelSelection.tierForLoad()
        if let requested = options.maxTier {
            guard KernelSelection.supportedTiers.contains(requested) else {
                throw MobileNetError(.unsupported, "this CPU cannot run the \(requested.name) kernels (it runs: "
                                     + KernelSelection.supportedTiers.map(\.name).joined(separator: ", ") + ")")
            }
            tier = min(tier, requested)
        }
        return tier
    }

    /// The network's structure at the resolution it was trained at.
    public func info() -> NetworkInfo {
        // The metadata's resolution was range-checked at load.
        try! NetworkInfo(architecture: architecture, height: metadata.resolution, width: metadata.resolution)
    }

    func withArena<T>(height: Int, width: Int, _ body: (Arena) throws -> T) throws -> T {
        let arena = try arenas.take(height: height, width: width) {
            try network.makeArena(height: height, width: width)
        }
        defer { arenas.give(arena) }
        return try body(arena)
    }

    /// Takes `count` arenas for one batch run, in a stack buffer so that a
    /// run allocates nothing once the cache holds them.
    private func withArenas<T>(count: Int, height: Int, width: Int,
                               _ body: (UnsafeBufferPointer<Arena>) throws -> T) throws -> T {
        try withUnsafeTemporaryAllocation(of: Arena.self, capacity: count) { buffer in
            let base = buffer.baseAddress!
            var taken = 0
            defer {
                for i in 0..<taken { arenas.give(base[i]) }
                base.deinitialize(count: taken)
            }
            while taken < count {
                (base + taken).initialize(to: try arenas.take(height: height, width: width) {
                    try network.makeArena(height: height, width: width)
                })
                taken += 1
            }
            return try body(UnsafeBufferPointer(buffer))
        }
    }

    /// Floats per embedding (`embed`): the channels of the pooled features.
    public var embeddingSize: Int { network.embeddingSize }

    /// Runs `batch` NHWC images of height x width x 3 normalized floats and
    /// writes batch x numClasses logits.
    public func run(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                    logits: UnsafeMutablePointer<Float>, capacity: Int) throws {
        try forwardBatch(input: input, batch: batch, height: height, width: width, output: logits,
                         capacity: capacity, until: .logits)
    }

    /// As `run`, but writes batch x embeddingSize features: the global average
    /// pool's output, before (and without computing) the logits layer.
    public func embed(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                      embeddings: UnsafeMutablePointer<Float>, capacity: Int) throws {
        try forwardBatch(input: input, batch: batch, height: height, width: width, output: embeddings,
                         capacity: capacity, until: .embedding)
    }

    private func forwardBatch(input: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                              output: UnsafeMutablePointer<Float>, capacity: Int, until end: Network.Output) throws {
        guard (1...Model.maxBatch).contains(batch) else {
            throw MobileNetError.invalid("batch \(batch) is outside 1...\(Model.maxBatch)")
        }
        guard (1...NetworkInfo.maxInputSide).contains(height), (1...NetworkInfo.maxInputSide).contains(width) else {
            throw MobileNetError.invalid("input size \(height)x\(width) is outside 1...\(NetworkInfo.maxInputSide)")
        }
        let what = end == .logits ? "logits" : "embeddings"
        guard capacity >= 0 else { throw MobileNetError.invalid("\(what) capacity is negative") }
        let perImage = network.outputCount(end)
        let needed = batch * perImage  // both bounded: no overflow
        guard capacity >= needed else {
            throw MobileNetError(.bufferTooSmall, "\(what) capacity \(capacity) is less than batch x "
                                 + (end == .logits ? "classes" : "embedding size") + " = \(needed) floats")
        }
        let imageFloats = height * width * 3
        // Whole images per thread while every thread has one (no per-layer
        // hand-offs, each thread in its own arena), then the rest one by one
        // with every layer split across the threads. Either way each image's
        // bits are the same.
        let threads = network.pool.threadCount
        let spread = threads > 1 ? batch / threads * threads : 0
        if spread > 0 {
            try withArenas(count: threads, height: height, width: width) { arenas in
                network.pool.parallel(ImagesJob(network: network, arenas: arenas, input: input,
                                                imageFloats: imageFloats, output: output, perImage: perImage,
                                                end: end, parts: spread))
            }
        }
        if spread < batch {
            try withArena(height: height, width: width) { arena in
                for b in spread..<batch {
                    network.forward(input + b * imageFloats, arena: arena, output: output + b * perImage,
                                    fused: fusesSingleImages, until: end)
                }
            }
        }
    }

    /// One row of `profile`: a pass of the network (one layer, or a depthwise
    /// layer fused with the pointwise layer after it) and its median time.
    public struct StageTiming: Sendable {
        public let name: String
        /// The layer types the pass computes, in order.
        public let types: [LayerType]
        public let multAdds: Int
        public let seconds: Double

        /// "Conv 1x1", or "Conv DW 3x3 + Conv 1x1" for a fused pass.
        public var typeName: String { types.map(\.name).joined(separator: " + ") }
    }

    /// Whether a single image runs with fused depthwise + pointwise passes:
    /// with more than one thread, where fusion measured faster (see
    /// FusedDepthwisePointwise).
    var fusesSingleImages: Bool { network.pool.threadCount > 1 }

    /// Times each pass over `iterations` runs of one image at height x width
    /// (after one warm-up run) and returns the per-pass medians. `fused`
    /// false (the default) times every layer on its own; true times the
    /// passes as a multi-threaded run makes them.
    public func profile(height: Int, width: Int, iterations: Int, fused: Bool = false) throws -> [StageTiming] {
        guard (1...10_000).contains(iterations) else { throw MobileNetError.invalid("iterations outside 1...10000") }
        let structure = try NetworkInfo(architecture: architecture, height: height, width: width)
        let input = [Float](repeating: 0.25, count: height * width * 3)
        return try withArena(height: height, width: width) { arena in
            let plan = arena.plan(fused: fused)
            var samples = [[Double]](repeating: [], count: plan.passes.count)
            var seconds = [Double](repeating: 0, count: plan.passes.count)
            network.forward(input, arena: arena, output: nil, fused: fused)
            for _ in 0..<iterations {
                for i in seconds.indices { seconds[i] = 0 }
                network.forward(input, arena: arena, output: nil, fused: fused, passSeconds: &seconds)
                for i in seconds.indices { samples[i].append(seconds[i]) }
            }
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            return plan.passes.enumerated().map { i, pass in
                let layers = plan.layers(of: pass)
                return StageTiming(name: layers.map { structure.layers[$0].spec.name }.joined(separator: "+"),
                                   types: layers.map { structure.layers[$0].spec.type },
                                   multAdds: layers.reduce(0) { $0 + structure.layers[$1].multAdds },
                                   seconds: median(samples[i]))
            }
        }
    }

    /// Checks an 8-bit RGB image's geometry.
    static func validateImage(width: Int, height: Int, rowStride: Int) throws {
        guard (1...maxImageSide).contains(width), (1...maxImageSide).contains(height) else {
            throw MobileNetError.invalid("image size \(width)x\(height) is outside 1...\(maxImageSide)")
        }
        guard rowStride >= width * 3 else {
            throw MobileNetError.invalid("row stride \(rowStride) is less than width x 3 = \(width * 3) bytes")
        }
        let (span, overflow) = (height - 1).multipliedReportingOverflow(by: rowStride)
        guard !overflow, span <= Int.max - width * 3 else {
            throw MobileNetError.invalid("row stride \(rowStride) x height \(height) overflows")
        }
    }

    /// Preprocesses an RGB image into the network input at `size` (default: the
    /// model's resolution); `output` holds size x size x 3 floats.
    public func preprocess(rgb: UnsafePointer<UInt8>, width: Int, height: Int, rowStride: Int,
                           into output: UnsafeMutablePointer<Float>, size: Int? = nil) throws {
        try Model.validateImage(width: width, height: height, rowStride: rowStride)
        let side = size ?? metadata.resolution
        guard (1...NetworkInfo.maxInputSide).contains(side) else {
            throw MobileNetError.invalid("output size \(side) is outside 1...\(NetworkInfo.maxInputSide)")
        }
        preprocessing.run(rgb: rgb, width: width, height: height, rowStride: rowStride,
                          outHeight: side, outWidth: side, into: output)
    }

    /// The embedding of an RGB image with the model's preprocessing (as
    /// `classify`): embeddingSize floats into `embedding`.
    public func embed(rgb: UnsafePointer<UInt8>, width: Int, height: Int, rowStride: Int,
                      embedding: UnsafeMutablePointer<Float>, capacity: Int) throws {
        try Model.validateImage(width: width, height: height, rowStride: rowStride)
        guard capacity >= 0 else { throw MobileNetError.invalid("embedding capacity is negative") }
        guard capacity >= embeddingSize else {
            throw MobileNetError(.bufferTooSmall,
                                 "embedding capacity \(capacity) is less than the embedding size \(embeddingSize)")
        }
        let side = metadata.resolution
        try withArena(height: side, width: side) { arena in
            preprocessing.run(rgb: rgb, width: width, height: height, rowStride: rowStride,
                              outHeight: side, outWidth: side, into: arena.image.pointer)
            network.forward(arena.image.pointer, arena: arena, output: embedding, fused: fusesSingleImages,
                            until: .embedding)
        }
    }

    /// Classifies an RGB image with the model's preprocessing and calls
    /// `emit(rank, classIndex, probability)` for the topK most probable
    /// classes, most probable first (ties: lower index first).
    public func classify(rgb: UnsafePointer<UInt8>, width: Int, height: Int, rowStride: Int, topK: Int,
                         emit: (_ rank: Int, _ classIndex: Int, _ probability: Float) -> Void) throws {
        try Model.validateImage(width: width, height: height, rowStride: rowStride)
        guard (1...numClasses).contains(topK) else {
            throw MobileNetError.invalid("top_k \(topK) is outside 1...\(numClasses)")
        }
        let side = metadata.resolution
        try withArena(height: side, width: side) { arena in
            preprocessing.run(rgb: rgb, width: width, height: height, rowStride: rowStride,
                              outHeight: side, outWidth: side, into: arena.image.pointer)
            let logits = network.forward(arena.image.pointer, arena: arena, output: nil, fused: fusesSingleImages)
            Softmax.inPlace(logits, count: numClasses)
            Softmax.topK(logits, count: numClasses, k: topK, emit: emit)
        }
    }
}

/// Whole images of a batch, one per part, each run single-threaded in the
/// executing thread's own arena (the pool is busy with this job, so the
/// layers inside run inline).
private struct ImagesJob: PartRunner {
    let network: Network
    let arenas: UnsafeBufferPointer<Arena>
    let input: UnsafePointer<Float>
    let imageFloats: Int
    let output: UnsafeMutablePointer<Float>
    let perImage: Int
    let end: Network.Output
    let parts: Int

    func run(part: Int, slot: Int) {
        // One thread per image: unfused measured faster.
        network.forward(input + part * imageFloats, arena: arenas[slot], output: output + part * perImage,
                        fused: false, until: end)
    }
}

/// A model file's checked header, metadata, network and tensor set: what
/// loading a model and opening a trainer both start from.
struct ModelFile {
    let header: SafeTensorsHeader
    let metadata: ModelMetadata
    let architecture: Architecture
    let parameters: SafeTensorsParameters

    init(_ source: ByteSource) throws {
        header = try SafeTensorsHeader.read(from: source)
        metadata = try ModelMetadata(header.metadata)
        do {
            architecture = try Architecture(variant: metadata.variant, widthMultiplier: metadata.widthMultiplier,
                                            numClasses: metadata.numClasses)
        } catch let error as MobileNetError {
            throw MobileNetError.format("metadata describes an invalid network: \(error.message)")
        }
        parameters = SafeTensorsParameters(source: source, header: header)
        try parameters.checkTensorSet(architecture)
    }
}
