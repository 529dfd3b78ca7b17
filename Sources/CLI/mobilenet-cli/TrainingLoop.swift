import MobileNet

/// A recipe's steps over sample indices of a dataset: head-only on cached
/// embeddings, or whole images through the network.
protocol TrainingLoop {
    /// One optimizer step on these samples: the loss, and the top-1 hits when
    /// they come at no extra cost.
    mutating func step(_ samples: [Int], epoch: Int) throws -> (loss: Float, correct: Int?)
    /// Mean loss and top-1 hits over these samples (moving statistics, nothing changes).
    mutating func evaluate(_ samples: [Int]) throws -> (loss: Double, correct: Int)
}

/// The head recipe: embeddings are computed once per image, so an epoch is
/// a pass of the Logits layer alone (milliseconds for thousands of images).
struct HeadLoop: TrainingLoop {
    let trainer: Trainer
    /// Row i: the embedding of dataset sample i.
    let embeddings: [Float]
    let labels: [Int32]
    let size: Int

    private func gather(_ samples: [Int]) -> ([Float], [Int32]) {
        var batch = [Float](); batch.reserveCapacity(samples.count * size)
        for i in samples { batch += embeddings[i * size..<(i + 1) * size] }
        return (batch, samples.map { labels[$0] })
    }

    mutating func step(_ samples: [Int], epoch: Int) throws -> (loss: Float, correct: Int?) {
        let (batch, targets) = gather(samples)
        // The hits before the step, as a forward pass of the step would see them (costs a tiny GEMM).
        let (_, correct) = try trainer.evaluateEmbeddings(embeddings: batch, labels: targets, batch: samples.count)
        let loss = try trainer.stepEmbeddings(embeddings: batch, labels: targets, batch: samples.count)
        return (loss, correct)
    }

    mutating func evaluate(_ samples: [Int]) throws -> (loss: Double, correct: Int) {
        var loss = 0.0, correct = 0
        for start in stride(from: 0, to: samples.count, by: Model.maxBatch) {
            let part = Array(samples[start..<min(start + Model.maxBatch, samples.count)])
            let (batch, targets) = gather(part)
            let result = try trainer.evaluateEmbeddings(embeddings: batch, labels: targets, batch: part.count)
            loss += Double(result.loss) * Double(part.count)
            correct += result.correct
        }
        return (loss / Double(max(samples.count, 1)), correct)
    }
}

/// The other recipes: each step decodes its images and takes TF-Slim's
/// distorted crops (seeded per epoch, so a resumed run sees the crops it
/// would have seen); evaluation takes the central crop the model classifies with.
struct ImageLoop: TrainingLoop {
    let trainer: Trainer
    let dataset: Dataset
    let resolution: Int
    let seed: UInt64
    let batchSize: Int
    let crop: DistortedCrop
    /// The trainer's network exported once, for its preprocessing (mean, scale, crop).
    let preprocessor: Model
    private var input: [Float]
    private var random: SeededRandom
    private var epoch = -1

    init(trainer: Trainer, dataset: Dataset, resolution: Int, seed: UInt64, batchSize: Int, crop: DistortedCrop) throws {
        self.crop = crop
        self.trainer = trainer
        self.dataset = dataset
        self.resolution = resolution
        self.seed = seed
        self.batchSize = batchSize
        preprocessor = try trainer.export(options: LoadOptions(numThreads: 1))
        input = [Float](repeating: 0, count: batchSize * resolution * resolution * 3)
        random = SeededRandom(seed: seed)
    }

    private func image(_ i: Int) throws -> ImageFile { try dataset.decode(dataset.samples[i]) }

    mutating func step(_ samples: [Int], epoch: Int) throws -> (loss: Float, correct: Int?) {
        if epoch != self.epoch {
            self.epoch = epoch
            random = SeededRandom(seed: seed, stream: 3, index: UInt64(epoch))
        }
        let side = resolution, metadata = preprocessor.metadata
        for (slot, i) in samples.enumerated() {
            let picture = try image(i)
            input.withUnsafeMutableBufferPointer { buffer in
                crop.run(picture, size: side, mean: metadata.inputMean, scale: metadata.inputScale, &random,
                                  into: buffer.baseAddress! + slot * side * side * 3)
            }
        }
        let labels = samples.map { Int32(dataset.samples[$0].label) }
        let loss = try trainer.step(input: input, labels: labels, batch: samples.count, height: side, width: side)
        return (loss, nil)
    }

    mutating func evaluate(_ samples: [Int]) throws -> (loss: Double, correct: Int) {
        var loss = 0.0, correct = 0
        let side = resolution
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let part = Array(samples[start..<min(start + batchSize, samples.count)])
            for (slot, i) in part.enumerated() {
                let picture = try image(i)
                try picture.rgb.withUnsafeBufferPointer { pixels in
                    try input.withUnsafeMutableBufferPointer { buffer in
                        try preprocessor.preprocess(rgb: pixels.baseAddress!, width: picture.width, height: picture.height,
                                                    rowStride: picture.width * 3,
                                                    into: buffer.baseAddress! + slot * side * side * 3, size: side)
                    }
                }
            }
            let labels = part.map { Int32(dataset.samples[$0].label) }
            let result = try trainer.evaluate(input: input, labels: labels, batch: part.count, height: side, width: side)
            loss += Double(result.loss) * Double(part.count)
            correct += result.correct
        }
        return (loss / Double(max(samples.count, 1)), correct)
    }
}
