import MobileNet

/// Embeddings or logits of many images: each is preprocessed as classify does
/// (central crop, bilinear resize, the model's normalisation) into a batch
/// buffer, and full batches go through Model.embed or Model.run, which run whole images in parallel
/// across the model's threads (a single image splits each layer instead,
/// which scales worse). The bits per image are the same either way.
struct BatchForward {
    enum Output { case embeddings, logits }

    let model: Model
    let output: Output
    let batchSize: Int
    private var input: [Float]
    private var pending = 0
    /// count x width floats, in the order images were added.
    private(set) var values: [Float] = []
    /// Floats per image: the embedding size or the class count.
    var width: Int { output == .embeddings ? model.embeddingSize : model.numClasses }
    var count: Int { values.count / width + pending }

    init(model: Model, output: Output = .embeddings, batchSize: Int = 32) {
        self.model = model
        self.output = output
        self.batchSize = batchSize
        let side = model.metadata.resolution
        input = [Float](repeating: 0, count: batchSize * side * side * 3)
    }

    mutating func add(_ image: ImageFile) throws {
        let side = model.metadata.resolution
        let offset = pending * side * side * 3
        try image.rgb.withUnsafeBufferPointer { pixels in
            try input.withUnsafeMutableBufferPointer { buffer in
                try model.preprocess(rgb: pixels.baseAddress!, width: image.width, height: image.height,
                                     rowStride: image.width * 3, into: buffer.baseAddress! + offset)
            }
        }
        pending += 1
        if pending == batchSize { try flush() }
    }

    /// Embeds the images still waiting for a full batch.
    mutating func flush() throws {
        guard pending > 0 else { return }
        let side = model.metadata.resolution, size = width
        let start = values.count
        values += [Float](repeating: 0, count: pending * size)
        try input.withUnsafeBufferPointer { batch in
            try values.withUnsafeMutableBufferPointer { out in
                if output == .embeddings {
                    try model.embed(input: batch.baseAddress!, batch: pending, height: side, width: side,
                                    embeddings: out.baseAddress! + start, capacity: pending * size)
                } else {
                    try model.run(input: batch.baseAddress!, batch: pending, height: side, width: side,
                                  logits: out.baseAddress! + start, capacity: pending * size)
                }
            }
        }
        pending = 0
    }
}
