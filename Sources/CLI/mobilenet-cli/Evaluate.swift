#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import MobileNet

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Accuracy, loss, per-class precision and recall, and the confusion matrix on a dataset.",
        discussion: """
            DATA as for train (all of it is evaluated, nothing is held out). Each class of the \
            dataset must be one of the model's labels (matched by name). Images are preprocessed \
            as classify does. The loss is the mean cross-entropy of the true class under the \
            model's softmax. Confusion rows are the true classes in the dataset's order, columns \
            the predicted ones, plus a last column "other" for predictions of a model class the \
            dataset does not have (when the model has more classes).
            """)

    @Argument(help: "Image folder (a sub-folder per class), .tfrecord file(s) or a shard prefix.")
    var data: String

    @Option(help: "Model file (safetensors). Default: $MOBILENET_MODEL, else the bundled ImageNet model.")
    var model: String?

    @Option(parsing: .unconditional, help: "Threads (0 = one per core).")
    var threads: Int = 0

    @Flag(help: "Print JSON: accuracy, loss, per_class, confusion (and labels, images, skipped).")
    var json = false

    func validate() throws {
        if let model, model.isEmpty { throw ValidationError("--model must not be empty") }
        guard (0...LoadOptions.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be in 0...\(LoadOptions.maxThreads), not \(threads)")
        }
    }

    func run() throws {
        let loaded = try ModelLocation.load(model, options: LoadOptions(numThreads: threads))
        var dataset = try Dataset.load(data)
        guard let labels = loaded.labels else { throw CLIError("the model has no labels to match the dataset's classes to") }
        let modelIndex = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let unknown = dataset.classes.filter { modelIndex[$0] == nil }
        guard unknown.isEmpty else {
            throw CLIError("the dataset's class" + (unknown.count > 1 ? "es " : " ") + unknown.map { "'\($0)'" }.joined(separator: ", ")
                           + (unknown.count > 1 ? " are" : " is") + " not among the model's \(labels.count) labels")
        }
        let classes = dataset.classes.count
        var datasetIndex = [Int](repeating: classes, count: loaded.numClasses)  // classes = "other"
        for (c, name) in dataset.classes.enumerated() { datasetIndex[modelIndex[name]!] = c }
        let columns = loaded.numClasses > classes ? classes + 1 : classes

        var forward = BatchForward(model: loaded, output: .logits)
        let skipped = try dataset.dropUndecodable(report: Platform.printError) { _, image in try forward.add(image) }
        try forward.flush()
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: columns), count: classes)
        var lossSum = 0.0
        let k = loaded.numClasses
        for (n, sample) in dataset.samples.enumerated() {
            let logits = forward.values[n * k..<(n + 1) * k]
            // A stable log-softmax in float64: -log p(true) = log sum exp(l - max) - (l_true - max).
            let top = logits.max()!
            let sum = logits.reduce(0.0) { $0 + exp(Double($1 - top)) }
            lossSum += log(sum) - Double(logits[logits.startIndex + modelIndex[dataset.classes[sample.label]]!] - top)
            let predicted = logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!
            confusion[sample.label][datasetIndex[predicted - logits.startIndex]] += 1
        }
        let total = dataset.samples.count
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        let perClass = (0..<classes).map { c -> ClassFigures in
            let support = confusion[c].reduce(0, +)
            let predictedAs = confusion.reduce(0) { $0 + $1[c] }
            return ClassFigures(label: dataset.classes[c], precision: predictedAs > 0 ? Double(confusion[c][c]) / Double(predictedAs) : 0,
                                recall: support > 0 ? Double(confusion[c][c]) / Double(support) : 0, support: support)
        }
        let report = EvaluationReport(accuracy: Double(correct) / Double(total), loss: lossSum / Double(total),
                                      images: total, skipped: skipped, labels: dataset.classes + (columns > classes ? ["other"] : []),
                                      perClass: perClass, confusion: confusion)
        print(json ? try JSONOutput.encode(report) : Self.text(report))
    }

    static func text(_ r: EvaluationReport) -> String {
        let width = max(r.labels.map(\.count).max() ?? 0, 5)
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(n - s.count, 0)) }
        var lines = [Platform.format("accuracy %.2f%% (%d of %d images), loss %.4g", r.accuracy * 100,
                                     Int((r.accuracy * Double(r.images)).rounded()), r.images, r.loss)]
        if r.skipped > 0 { lines.append("\(r.skipped) files skipped (not decodable)") }
        lines.append(pad("class", width) + "  precision  recall  support")
        for c in r.perClass {
            lines.append(pad(c.label, width) + Platform.format("  %8.2f%%  %5.1f%%  %7d", c.precision * 100, c.recall * 100, c.support))
        }
        lines.append("confusion (rows: true class, columns: predicted):")
        let cell = max(r.confusion.flatMap { $0 }.map { "\($0)".count }.max() ?? 1, "[\(r.labels.count - 1)]".count)
        func right(_ s: String) -> String { String(repeating: " ", count: max(cell - s.count, 0)) + s }
        let rowLabel = width + "[\(r.labels.count)] ".count
        lines.append(pad("", rowLabel) + r.labels.indices.map { "  " + right("[\($0)]") }.joined()
                     + (r.labels.count > r.confusion.count ? "  ([\(r.labels.count - 1)]: other classes of the model)" : ""))
        for (i, row) in r.confusion.enumerated() {
            lines.append(pad("[\(i)] " + r.labels[i], rowLabel) + row.map { "  " + right("\($0)") }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

/// evaluate --json output (keys: the property names in snake_case).
struct EvaluationReport: Encodable {
    let accuracy: Double, loss: Double, images: Int, skipped: Int
    /// The confusion matrix's column labels (its rows: all but "other").
    let labels: [String]
    let perClass: [ClassFigures]
    let confusion: [[Int]]
}

struct ClassFigures: Encodable {
    let label: String, precision: Double, recall: Double, support: Int
}
