import ArgumentParser
import Foundation
import MobileNet

struct Profile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time each layer of a model (median over runs; ms and GFLOP/s).")

    @Option(help: "Model file (safetensors). Default: the bundled ImageNet model.")
    var model: String?

    @Option(help: "Threads per inference (0 = one per core).")
    var threads: Int = 1

    @Option(help: "Input height = width (default: the model's resolution).")
    var resolution: Int?

    @Option(help: "Timed runs.")
    var iterations: Int = 50

    @Flag(help: "Time the fused depthwise + pointwise passes that runs with more than one thread make, instead of each layer on its own.")
    var fused = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let loaded = try Model(path: try ModelLocation.resolve(model), options: LoadOptions(numThreads: threads))
        let side = resolution ?? loaded.metadata.resolution
        let rows = try loaded.profile(height: side, width: side, iterations: iterations, fused: fused)
        let total = rows.reduce(0) { $0 + $1.seconds }
        if json {
            let object: [String: Any] = [
                "isa": loaded.kernelTier.name, "cpu": CPUModel.name,
                "threads": loaded.threadCount, "resolution": side, "fused": fused, "total_ms": total * 1e3,
                "layers": rows.map { ["name": $0.name, "type": $0.typeName, "mult_adds": $0.multAdds,
                                      "ms": $0.seconds * 1e3, "gflops": 2 * Double($0.multAdds) / $0.seconds / 1e9] },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let nameWidth = max(rows.map(\.name.count).max() ?? 0, 22)
        let typeWidth = max(rows.map(\.typeName.count).max() ?? 0, 11)
        print("layer".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + " "
              + "type".padding(toLength: typeWidth, withPad: " ", startingAt: 0) + "     ms      GFLOP/s  share")
        for row in rows {
            let name = row.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let type = row.typeName.padding(toLength: typeWidth, withPad: " ", startingAt: 0)
            print(name + " " + type + String(format: " %7.3f %9.1f %5.1f%%", row.seconds * 1e3,
                                             2 * Double(row.multAdds) / row.seconds / 1e9, row.seconds / total * 100))
        }
        print(String(format: "total (sum of medians): %.2f ms, %d threads, ", total * 1e3, loaded.threadCount)
              + "\(loaded.kernelTier.name) kernels, \(CPUModel.name)")
    }
}
