import ArgumentParser
import MobileNet

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a network's layers, shapes, multiply-adds and parameters.",
        discussion: "Describes the model given with --model, or else the configuration given by --variant, --alpha, --resolution and --classes (no weights needed).")

    @Option(help: "Describe this model file instead of a configuration.")
    var model: String?

    @Option(help: "separable, full_conv or shallow.")
    var variant: String = "separable"

    // .unconditional: a negative value is reported as out of range, not as an unknown option.
    @Option(parsing: .unconditional, help: "Width multiplier alpha.")
    var alpha: Double = 1.0

    @Option(parsing: .unconditional, help: "Input resolution (height = width).")
    var resolution: Int = 224

    @Option(parsing: .unconditional, help: "Number of classes (the paper counts 1000).")
    var classes: Int = 1000

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let info: NetworkInfo
        var labels: [String]?
        // The kernels a loaded model runs on; for a configuration, the tier a
        // load would get on this machine.
        let tier: String
        var precision = Precision.float32
        if let model {
            let loaded = try ModelLocation.load(model, options: LoadOptions(numThreads: 1))
            info = loaded.info()
            tier = loaded.kernelTier.name
            precision = loaded.precision
            labels = loaded.labels
        } else {
            tier = try KernelSelection.tierForLoad().name
            guard let kind = Variant(name: variant) else {
                throw ValidationError("--variant must be separable, full_conv or shallow")
            }
            info = try UsageError.fromInvalidArgument {
                let architecture = try Architecture(variant: kind, widthMultiplier: alpha, numClasses: classes)
                return try NetworkInfo(architecture: architecture, height: resolution, width: resolution)
            }
        }
        print(json ? try Self.json(info, tier: tier, precision: precision, labels: labels)
                   : Self.table(info, tier: tier, precision: precision, labels: labels))
    }

    static func json(_ info: NetworkInfo, tier: String, precision: Precision = .float32,
                     labels: [String]? = nil) throws -> String {
        try JSONOutput.encode(NetworkDescription(
            isa: tier, precision: precision.name, labels: labels, variant: info.variant.name, widthMultiplier: info.widthMultiplier, resolution: info.height,
            numClasses: info.numClasses, multAdds: info.multAdds, parameters: info.parameters,
            layers: info.layers.map { layer in
                NetworkDescription.Layer(
                    name: layer.spec.name, type: layer.spec.type.name, stride: layer.spec.stride,
                    input: [layer.inputHeight, layer.inputWidth, layer.spec.inputChannels],
                    output: [layer.outputHeight, layer.outputWidth, layer.spec.outputChannels],
                    multAdds: layer.multAdds, parameters: layer.parameters)
            }))
    }

    /// describe --json output (keys: the property names in snake_case).
    struct NetworkDescription: Encodable {
        struct Layer: Encodable {
            let name: String, type: String, stride: Int, input: [Int], output: [Int], multAdds: Int, parameters: Int
        }
        let isa: String
        /// float32, int8 or uint8 (a configuration: float32).
        let precision: String
        /// A model's class names (absent for a configuration or a model without labels).
        let labels: [String]?
        let variant: String, widthMultiplier: Double, resolution: Int, numClasses: Int
        let multAdds: Int, parameters: Int, layers: [Layer]
    }

    static func table(_ info: NetworkInfo, tier: String, precision: Precision = .float32,
                      labels: [String]? = nil) -> String {
        func cell(_ text: String, _ width: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(width - text.count, 0))
            return right ? fill + text : text + fill
        }
        var lines = ["MobileNet v1 \(info.variant.name), alpha \(info.widthMultiplier), \(info.height)x\(info.width), \(info.numClasses) classes"]
        lines.append(cell("layer", 22) + cell("type", 12) + cell("s", 3) + "  " + cell("input", 15)
                     + cell("output", 15) + cell("mult-adds", 14, right: true) + cell("parameters", 12, right: true))
        for layer in info.layers {
            lines.append(cell(layer.spec.name, 22) + cell(layer.spec.type.name, 12) + cell("\(layer.spec.stride)", 3)
                         + "  " + cell("\(layer.inputHeight)x\(layer.inputWidth)x\(layer.spec.inputChannels)", 15)
                         + cell("\(layer.outputHeight)x\(layer.outputWidth)x\(layer.spec.outputChannels)", 15)
                         + cell("\(layer.multAdds)", 14, right: true) + cell("\(layer.parameters)", 12, right: true))
        }
        lines.append(Platform.format("total: %.1fM mult-adds, %.2fM parameters", Double(info.multAdds) / 1e6,
                            Double(info.parameters) / 1e6))
        if let labels {
            // A trained model's few classes in full; ImageNet's 1001 by their first few.
            let shown = labels.prefix(10).joined(separator: ", ")
            lines.append("labels: " + shown + (labels.count > 10 ? ", ... (\(labels.count))" : ""))
        }
        lines.append("kernels: \(tier) (MOBILENET_MAX_ISA caps the tier), precision: \(precision.name)")
        return lines.joined(separator: "\n")
    }
}
