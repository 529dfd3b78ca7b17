import ArgumentParser
import MobileNet

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time each layer of a model (median over runs; ms and GFLOP/s).")

    @Option(help: "Model file (safetensors). Default: the bundled ImageNet model.")
    var model: String?

    // .unconditional: a negative value is reported as out of range, not as an unknown option.
    @Option(parsing: .unconditional, help: "Threads per inference (0 = one per core).")
    var threads: Int = 1

    @Option(parsing: .unconditional, help: "Input height = width (default: the model's resolution).")
    var resolution: Int?

    @Option(parsing: .unconditional, help: "Timed runs.")
    var iterations: Int = 50

    @Flag(help: "Time the fused depthwise + pointwise passes that runs with more than one thread make, instead of each layer on its own.")
    var fused = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard (0...LoadOptions.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be in 0...\(LoadOptions.maxThreads), not \(threads)")
        }
    }

    func run() throws {
        let loaded = try ModelLocation.load(model, options: LoadOptions(numThreads: threads))
        let side = resolution ?? loaded.metadata.resolution
        let rows = try UsageError.fromInvalidArgument {
            try loaded.profile(height: side, width: side, iterations: iterations, fused: fused)
        }
        let total = rows.reduce(0) { $0 + $1.seconds }
        if json {
            print(try JSONOutput.encode(ProfileReport(
                isa: loaded.kernelTier.name, precision: loaded.precision.name, cpu: CPUModel.name, threads: loaded.threadCount, resolution: side, fused: fused, totalMs: total * 1e3,
                layers: rows.map {
                    ProfileReport.Layer(name: $0.name, type: $0.typeName, multAdds: $0.multAdds, ms: $0.seconds * 1e3,
                                        gflops: 2 * Double($0.multAdds) / $0.seconds / 1e9)
                })))
            return
        }
        let nameWidth = max(rows.map(\.name.count).max() ?? 0, 22)
        let typeWidth = max(rows.map(\.typeName.count).max() ?? 0, 11)
        func pad(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(width - text.count, 0))
        }
        print(pad("layer", nameWidth) + " " + pad("type", typeWidth) + "     ms      GFLOP/s  share")
        for row in rows {
            print(pad(row.name, nameWidth) + " " + pad(row.typeName, typeWidth)
                  + Platform.format(" %7.3f %9.1f %5.1f%%", row.seconds * 1e3,
                                    2 * Double(row.multAdds) / row.seconds / 1e9, row.seconds / total * 100))
        }
        print(Platform.format("total (sum of medians): %.2f ms, %d threads, ", total * 1e3, loaded.threadCount)
              + "\(loaded.kernelTier.name) kernels, \(loaded.precision.name), \(CPUModel.name)")
    }
}

/// profile --json output (keys: the property names in snake_case).
struct ProfileReport: Encodable {
    struct Layer: Encodable {
        let name: String, type: String, multAdds: Int, ms: Double, gflops: Double
    }
    let isa: String, precision: String, cpu: String
    let threads: Int, resolution: Int, fused: Bool, totalMs: Double, layers: [Layer]
}
