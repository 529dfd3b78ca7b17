import ArgumentParser
import MobileNet

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize a float model to an int8 .tflite file, calibrated on a folder of images.",
        discussion: """
            Every JPEG or PNG under --calibration (sub-folders included, in name order) is \
            preprocessed as classify does it, at --size, and run through the float model to \
            choose each activation's int8 range (docs/quantization.md). Files that do not decode \
            are reported and skipped. The output is written atomically and loads with every \
            --model option, in LiteRT too. 100-500 varied images are plenty; more only take longer.
            """)

    @Argument(help: "Float model file (safetensors, or a training checkpoint).")
    var model: String

    @Option(help: "Folder of calibration images.")
    var calibration: String

    @Option(help: "Where to write the int8 .tflite file.")
    var output: String

    @Option(help: "How activation ranges are chosen: minmax (default), percentile or mse.")
    var method: String = QuantizeOptions().method.name

    @Option(parsing: .unconditional, help: "For --method percentile: the percentile of non-zero values kept (50...100).")
    var percentile: Double = QuantizeOptions.defaultPercentile

    @Flag(help: "Do not correct the biases for the mean shift of rounded weights.")
    var noBiasCorrection = false

    @Option(parsing: .unconditional, help: "The logits' calibrated top is multiplied by this (1...8).")
    var logitsHeadroom: Double = QuantizeOptions.defaultLogitsHeadroom

    @Option(parsing: .unconditional, help: "Input size of the quantized model (default: the model's resolution).")
    var size: Int?

    @Option(parsing: .unconditional, help: "Use at most this many calibration images (the first in name order).")
    var limit: Int = 500

    @Option(parsing: .unconditional, help: "Threads (0 = one per core).")
    var threads: Int = 0

    func validate() throws {
        if model.isEmpty || calibration.isEmpty || output.isEmpty {
            throw ValidationError("MODEL, --calibration and --output must not be empty")
        }
        guard Quantize.method(method) != nil else {
            throw ValidationError("--method must be minmax, percentile or mse, not '\(method)'")
        }
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be in 1...100000") }
        if let size, !(1...NetworkInfo.maxInputSide).contains(size) {
            throw ValidationError("--size must be in 1...\(NetworkInfo.maxInputSide)")
        }
        guard (0...LoadOptions.maxThreads).contains(threads) else {
            throw ValidationError("--threads must be in 0...\(LoadOptions.maxThreads), not \(threads)")
        }
    }

    static func method(_ name: String) -> CalibrationMethod? {
        [CalibrationMethod.minMax, .percentile, .mse].first { $0.name == name }
    }

    func run() throws {
        // The float model preprocesses the calibration images as classify does.
        let float = try Model(path: model, options: LoadOptions(numThreads: threads))
        guard float.precision == .float32 else {
            throw CLIError("\(model) is already \(float.precision.name); quantize a float safetensors model")
        }
        let side = size ?? float.metadata.resolution
        guard FileIO.isDirectory(calibration) else { throw CLIError("\(calibration): not a folder") }
        var files: [String] = []
        func collect(_ folder: String, depth: Int) throws {
            for name in try FileIO.list(folder) where files.count < limit {
                let path = PathName.join(folder, name)
                if Platform.isRegularFile(path) { files.append(path) }
                else if depth < 16, FileIO.isDirectory(path) { try collect(path, depth: depth + 1) }
            }
        }
        try collect(calibration, depth: 0)
        let imageFloats = side * side * 3
        var inputs: [Float] = []
        var used = 0
        for file in files {
            do {
                let image = try ImageFile(path: file)
                var pixels = [Float](repeating: 0, count: imageFloats)
                try image.rgb.withUnsafeBufferPointer { rgb in
                    try pixels.withUnsafeMutableBufferPointer { out in
                        try float.preprocess(rgb: rgb.baseAddress!, width: image.width, height: image.height,
                                             rowStride: image.width * 3, into: out.baseAddress!, size: side)
                    }
                }
                inputs += pixels
                used += 1
            } catch {
                Platform.printError("mobilenet-cli: \(file): \(error) (skipped)")
            }
        }
        guard used > 0 else { throw CLIError("\(calibration): no image decodes") }
        let options = QuantizeOptions(method: Quantize.method(method)!, percentile: percentile, numThreads: threads,
                                      biasCorrection: !noBiasCorrection, logitsHeadroom: logitsHeadroom)
        let report = try inputs.withUnsafeBufferPointer { calibration in
            try Quantizer.quantize(modelPathBytes: Array(model.utf8CString), calibration: calibration.baseAddress!,
                                   count: used, height: side, width: side, options: options,
                                   outputPathBytes: Array(output.utf8CString))
        }
        print("\(output): int8, \(side)x\(side), \(report.bytes) bytes, calibrated on \(used) images "
              + "(\(report.method.name))")
    }
}
