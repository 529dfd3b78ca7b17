import ArgumentParser
import Foundation
import MobileNet

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify JPEG or PNG images (TF-Slim evaluation preprocessing).")

    @Argument(help: "Image files (JPEG or PNG).")
    var images: [String]

    @Option(help: "Model file (safetensors). Default: the bundled ImageNet model.")
    var model: String?

    @Option(name: .customLong("top-k"), help: "How many classes to print per image.")
    var topK: Int = 5

    @Option(help: "Threads per inference (0 = one per core).")
    var threads: Int = 0

    @Option(help: "Central crop fraction in (0, 1]; 1 keeps the whole image.")
    var crop: Double = Preprocessing.defaultCropFraction

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let path = try ModelLocation.resolve(model)
        let loaded = try Model(path: path, options: LoadOptions(numThreads: threads, cropFraction: crop))
        guard (1...loaded.numClasses).contains(topK) else {
            throw ValidationError("--top-k must be in 1...\(loaded.numClasses)")
        }
        var results: [[String: Any]] = []
        for file in images {
            let image = try ImageFile(path: file)
            var rows: [(index: Int, probability: Float)] = []
            try image.rgb.withUnsafeBufferPointer { pixels in
                try loaded.classify(rgb: pixels.baseAddress!, width: image.width, height: image.height,
                                    rowStride: image.width * 3, topK: topK) { _, index, probability in
                    rows.append((index, probability))
                }
            }
            if json {
                results.append([
                    "image": file,
                    "predictions": rows.map { row -> [String: Any] in
                        ["index": row.index, "probability": Double(row.probability),
                         "label": loaded.labels?[row.index] ?? NSNull()]
                    },
                ])
            } else {
                print("\(file) (\(image.width)x\(image.height))")
                for (rank, row) in rows.enumerated() {
                    let label = loaded.labels?[row.index] ?? "class \(row.index)"
                    print(String(format: "  %d. %6.2f%%  ", rank + 1, Double(row.probability) * 100)
                          + "\(label) [\(row.index)]")
                }
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
