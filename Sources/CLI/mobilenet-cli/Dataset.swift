/// A labelled image collection: an image folder (one sub-folder per class,
/// the layout of TF-Slim's flowers and Keras' image_dataset_from_directory)
/// or TF-Slim TFRecord shards (TFRecordDataset.swift). Images are decoded
/// when used, so a large folder costs no memory up front.
struct Dataset {
    enum Source {
        case file(String)
        case encoded([UInt8])
    }

    struct Sample {
        /// A file's path, or "shard.tfrecord#record" for a TFRecord's image.
        let name: String
        let source: Source
        let label: Int
    }

    /// Class names, index = label.
    let classes: [String]
    private(set) var samples: [Sample]
    /// "image folder" or "TFRecord", for messages.
    let kind: String

    init(classes: [String], samples: [Sample], kind: String) {
        self.classes = classes
        self.samples = samples
        self.kind = kind
    }

    /// The dataset at `path`: a folder of class sub-folders, a .tfrecord file,
    /// a folder of .tfrecord shards, or a shard prefix ("data/flowers_train"
    /// for data/flowers_train_00000-of-00005.tfrecord ...).
    static func load(_ path: String) throws -> Dataset {
        if let shards = try TFRecordDataset.shards(path) { return try TFRecordDataset.load(shards, directory: path) }
        guard FileIO.isDirectory(path) else {
            throw CLIError("\(path): not a folder of class sub-folders, a .tfrecord file or a shard prefix")
        }
        let classes = try FileIO.list(path).filter { FileIO.isDirectory(PathName.join(path, $0)) }
        guard !classes.isEmpty else { throw CLIError("\(path): no class sub-folders (one per class, named by its label)") }
        var samples: [Sample] = []
        // A class's images may sit in nested folders (as Keras reads them), in name order at each level.
        func collect(_ folder: String, _ label: Int, depth: Int) throws {
            for file in try FileIO.list(folder) {
                let filePath = PathName.join(folder, file)
                if Platform.isRegularFile(filePath) {
                    samples.append(Sample(name: filePath, source: .file(filePath), label: label))
                } else if depth < 16, FileIO.isDirectory(filePath) {  // bounded: a symlink loop must end
                    try collect(filePath, label, depth: depth + 1)
                }
            }
        }
        for (label, name) in classes.enumerated() { try collect(PathName.join(path, name), label, depth: 0) }
        return Dataset(classes: classes, samples: samples, kind: "image folder")
    }

    func decode(_ sample: Sample) throws -> ImageFile {
        switch sample.source {
        case .file(let path): return try ImageFile(path: path)
        case .encoded(let bytes): return try ImageFile(bytes: bytes)
        }
    }

    /// Decodes every sample once, calling `visit` with each image that
    /// decodes; the others are reported by name on stderr and dropped (a
    /// stray text file or a truncated download must not stop a training run).
    /// Returns how many were dropped.
    @discardableResult
    mutating func dropUndecodable(report: (String) -> Void = Platform.printError,
                                  _ visit: (Sample, ImageFile) throws -> Void = { _, _ in }) throws -> Int {
        var kept: [Sample] = []
        for sample in samples {
            do {
                let image = try decode(sample)
                try visit(sample, image)
                kept.append(sample)
            } catch let error as CLIError {
                report("mobilenet-cli: skipping \(sample.name): \(error)")
            }
        }
        let dropped = samples.count - kept.count
        samples = kept
        guard !samples.isEmpty else { throw CLIError("no image of the \(kind) could be decoded") }
        return dropped
    }

    /// Sample indices split into training and validation, stratified: each
    /// class gives `fraction` of its images (rounded; at least one when the
    /// fraction is > 0 and the class has two or more, and never all), chosen
    /// by `seed` alone, so the same data and seed always give the same split.
    func split(validation fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        var train: [Int] = [], validation: [Int] = []
        for label in classes.indices {
            var members = samples.indices.filter { samples[$0].label == label }
            var random = SeededRandom(seed: seed, stream: 1, index: UInt64(label))
            random.shuffle(&members)
            var count = Int((Double(members.count) * fraction).rounded())
            if fraction > 0 && members.count >= 2 { count = max(count, 1) }
            count = min(count, max(members.count - 1, 0))
            validation += members[..<count]
            train += members[count...]
        }
        return (train.sorted(), validation.sorted())
    }

    /// One line per class: its images in each part (a class with few images
    /// or none in validation is worth knowing about before the figures).
    func balance(train: [Int], validation: [Int]) -> [String] {
        var trainCounts = [Int](repeating: 0, count: classes.count), validationCounts = trainCounts
        for i in train { trainCounts[samples[i].label] += 1 }
        for i in validation { validationCounts[samples[i].label] += 1 }
        let width = classes.map(\.count).max() ?? 0
        return classes.indices.map { c in
            "  " + classes[c] + String(repeating: " ", count: width - classes[c].count)
                + Platform.format("  %6d train  %6d validation", trainCounts[c], validationCounts[c])
        }
    }
}
