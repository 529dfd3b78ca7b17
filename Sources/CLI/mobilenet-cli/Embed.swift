import ArgumentParser
import MobileNet

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print or save image embeddings (the pooled features before the logits).",
        discussion: """
            Each image is preprocessed as classify does it. Without --output, one line per image: \
            its name, then its embedding's values (or JSON with --json). With --output, a float32 \
            NumPy file of N x D (D = 1024 at alpha 1), rows in the order of the images, written \
            atomically; no file is written if an image fails. Failures are reported on stderr and \
            the exit status is then 1.
            """)

    @Argument(help: "Image files (JPEG or PNG).")
    var images: [String]

    @Option(help: "Model file (safetensors). Default: $MOBILENET_MODEL, else the bundled ImageNet model.")
    var model: String?

    @Option(help: "Write an N x D float32 .npy file here instead of printing.")
    var output: String?

    @Option(parsing: .unconditional, help: "Threads (0 = one per core).")
    var threads: Int = 0

    @Flag(help: "Print JSON: one entry per image, with its embedding or an error.")
    var json = false

    func validate() throws {
        if let model, model.isEmpty { throw ValidationError("--model must not be empty") }
        if let output, output.isEmpty { throw ValidationError("--output must not be empty") }
        guard (0...LoadOptions.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be in 0...\(LoadOptions.maxThreads), not \(threads)")
        }
    }

    func run() throws {
        let loaded = try ModelLocation.load(model, options: LoadOptions(numThreads: threads))
        var embedder = BatchForward(model: loaded)
        // Row of each image in the embedder's output, nil if it failed.
        var rows: [Int?] = []
        var errors: [String?] = []
        for file in images {
            do {
                let image = try ImageFile(path: file)
                let row = embedder.count
                try embedder.add(image)
                rows.append(row)
                errors.append(nil)
            } catch {
                Platform.printError("mobilenet-cli: \(file): \(error)")
                rows.append(nil)
                errors.append("\(error)")
            }
        }
        try embedder.flush()
        let size = loaded.embeddingSize
        let values = embedder.values
        let failures = rows.filter { $0 == nil }.count
        if let output {
            if failures == 0 {
                try FileIO.writeAtomically(output, NumPyFile.float32Matrix(values, rows: images.count, columns: size))
            }
        } else if json {
            print(try JSONOutput.encode(images.indices.map { i in
                EmbeddingResult(image: images[i], embedding: rows[i].map { Array(values[$0 * size..<($0 + 1) * size]) },
                                error: errors[i])
            }))
        } else {
            for (i, row) in rows.enumerated() {
                guard let row else { continue }
                // Swift prints floats in their shortest round-trip form: the text gives back the bits.
                print(images[i] + " " + values[row * size..<(row + 1) * size].map { "\($0)" }.joined(separator: " "))
            }
        }
        if failures > 0 {
            Platform.printError("mobilenet-cli: \(failures) of \(images.count) images failed"
                                + (output != nil ? "; \(output!) was not written" : ""))
            throw ExitCode(1)
        }
    }
}

struct EmbeddingResult: Encodable {
    let image: String
    let embedding: [Float]?
    let error: String?
}
