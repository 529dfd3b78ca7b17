import ArgumentParser
import MobileNet

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify JPEG or PNG images (TF-Slim evaluation preprocessing).",
        discussion: """
            Every image is classified even if some fail; each failure is reported on stderr \
            (and as an "error" entry with --json), and the exit status is then 1. \
            JPEGs are turned upright by their EXIF orientation first.
            """)

    @Argument(help: "Image files (JPEG or PNG).")
    var images: [String]

    @Option(help: "Model file (safetensors). Default: $MOBILENET_MODEL, else the bundled ImageNet model.")
    var model: String?

    // .unconditional: the next word is the value even if it starts with '-', so
    // "--top-k -1" is reported as out of range rather than as an unknown option.
    @Option(name: .customLong("top-k"), parsing: .unconditional, help: "How many classes to print per image.")
    var topK: Int = 5

    @Option(parsing: .unconditional, help: "Threads per inference (0 = one per core).")
    var threads: Int = 0

    @Option(parsing: .unconditional, help: "Central crop fraction in (0, 1]; 1 keeps the whole image.")
    var crop: Double = Preprocessing.defaultCropFraction

    @Flag(help: "Print JSON instead of text: one entry per image, with its predictions or an error.")
    var json = false

    func validate() throws {
        if let model, model.isEmpty { throw ValidationError("--model must not be empty") }
        guard topK >= 1 else { throw ValidationError("--top-k must be at least 1, not \(topK)") }
        guard (0...LoadOptions.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be in 0...\(LoadOptions.maxThreads), not \(threads)")
        }
        guard crop.isFinite, crop > 0, crop <= 1 else {
            throw ValidationError("--crop must be in (0, 1], not \(crop)")
        }
    }

    func run() throws {
        let loaded = try ModelLocation.load(model, options: LoadOptions(numThreads: threads, cropFraction: crop))
        guard topK <= loaded.numClasses else {
            throw ValidationError("--top-k must be in 1...\(loaded.numClasses) (the model's classes), not \(topK)")
        }
        var entries: [ImageResult] = []
        var failures = 0
        for file in images {
            do {
                let image = try ImageFile(path: file)
                var predictions: [Prediction] = []
                try image.rgb.withUnsafeBufferPointer { pixels in
                    try loaded.classify(rgb: pixels.baseAddress!, width: image.width, height: image.height,
                                        rowStride: image.width * 3, topK: topK) { _, index, probability in
                        predictions.append(Prediction(index: index, label: loaded.labels?[index],
                                                      probability: Double(probability)))
                    }
                }
                if json {
                    entries.append(ImageResult(image: file, width: image.width, height: image.height,
                                               predictions: predictions, error: nil))
                } else {
                    print("\(file) (\(image.width)x\(image.height))")
                    for (rank, prediction) in predictions.enumerated() {
                        print(Platform.format("  %d. %6.2f%%  ", rank + 1, prediction.probability * 100)
                              + "\(prediction.label ?? "class \(prediction.index)") [\(prediction.index)]")
                    }
                }
            } catch {
                failures += 1
                Platform.printError("mobilenet-cli: \(file): \(error)")
                if json {
                    entries.append(ImageResult(image: file, width: nil, height: nil, predictions: nil,
                                               error: "\(error)"))
                }
            }
        }
        if json { print(try JSONOutput.encode(entries)) }
        if failures > 0 {
            Platform.printError("mobilenet-cli: \(failures) of \(images.count) images failed")
            throw ExitCode(1)
        }
    }
}

/// One image's entry in --json output: predictions, or the error that stopped it.
struct ImageResult: Encodable {
    let image: String
    let width: Int?
    let height: Int?
    let predictions: [Prediction]?
    let error: String?
}

struct Prediction: Encodable {
    let index: Int
    let label: String?
    let probability: Double

    enum CodingKeys: String, CodingKey { case index, label, probability }

    // A model without labels gives "label": null, not a missing key.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(label, forKey: .label)
        try container.encode(probability, forKey: .probability)
    }
}
