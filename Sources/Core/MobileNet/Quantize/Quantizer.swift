/// Post-training quantization: a float MobileNet file (safetensors) and
/// calibration images in, an int8 .tflite out (TFLiteInt8Writer), loadable
/// by `Model` and by LiteRT.
///
/// Weights: BatchNorm folded, then per-channel symmetric int8 (the scale
/// maps each filter's largest |w| to 127). Activations: asymmetric int8 over
/// [0, t] for the ReLU6 outputs, t chosen from the calibration histogram by
/// `options.method`; the input and the logits keep their observed extremes.
public enum Quantizer {
    public struct LayerRange: Sendable {
        public let name: String
        public let lower: Float
        public let upper: Float
    }

    public struct Report: Sendable {
        public let images: Int
        public let method: CalibrationMethod
        /// Per layer (the architecture's order): the real range its output is quantized over.
        public let ranges: [LayerRange]
        public let bytes: Int
    }

    /// `calibration`: `count` NHWC images of height x width x 3 floats,
    /// normalized as the model's `preprocess` gives them. The output file
    /// takes inputs of that size (height must equal width).
    public static func quantize(modelPathBytes: [CChar], calibration: UnsafePointer<Float>, count: Int,
                                height: Int, width: Int, options: QuantizeOptions,
                                outputPathBytes: [CChar]) throws -> Report {
        try options.validate()
        let source = try FileByteSource(pathBytes: modelPathBytes)
        guard try !TFLiteLoader.isTFLite(source) else {
            throw MobileNetError(.unsupported, "the model is a .tflite file; quantize a float safetensors model")
        }
        let file = try ModelFile(source)
        let a = file.architecture
        guard a.variant == .separable else {
            throw MobileNetError(.unsupported, "only the separable MobileNet quantizes to a .tflite (this model is "
                                 + "\(a.variant.name))")
        }
        guard height == width else {
            throw MobileNetError(.unsupported, "calibration images are \(height)x\(width); a quantized model "
                                 + "takes square inputs")
        }
        let loadOptions = LoadOptions(numThreads: options.numThreads)
        let model = try Model(architecture: a, metadata: file.metadata, parameters: file.parameters,
                              tier: try Model.tier(loadOptions), options: loadOptions)
        let calibrated = try Calibration(model: model, images: calibration, count: count, height: height,
                                         width: width)
        let bytes = try quantizedFile(file, calibrated, options: options, resolution: height)
        // The file must load before it replaces anything at the output path.
        _ = try bytes.withUnsafeBytes { try TFLiteLoader.load(MemoryByteSource(bytes: $0)) }
        try CheckpointFile.write(pathBytes: outputPathBytes, bytes: bytes)
        var ranges: [LayerRange] = []
        for (spec, stats) in zip(a.layers, calibrated.outputs) {
            let r = outputRange(spec, stats, options)
            ranges.append(LayerRange(name: spec.name, lower: r.lower, upper: r.upper))
        }
        return Report(images: count, method: options.method, ranges: ranges, bytes: bytes.count)
    }

    private static func outputRange(_ spec: LayerSpec, _ stats: ActivationStatistics,
                                    _ options: QuantizeOptions) -> (lower: Float, upper: Float) {
        guard spec.type == .fullyConnected else { return stats.range(options.method, percentile: options.percentile) }
        // The logits' top gets headroom: clipping it ties the leading
        // classes. Calibrated on textures and faces, the bundled model's
        // largest logit was 16.3, and test photos reached 21.6.
        let r = stats.range(.minMax, percentile: 100)
        return (r.lower, r.upper * Float(options.logitsHeadroom))
    }

    static func quantizedFile(_ file: ModelFile, _ calibrated: Calibration, options: QuantizeOptions,
                              resolution: Int) throws -> [UInt8] {
        let a = file.architecture
        let inputRange = calibrated.input.range(.minMax, percentile: 100)
        let input = QuantizedNetwork.Affine(int8Range: inputRange.lower, inputRange.upper)
        var outputs: [QuantizedNetwork.Affine] = []
        var convolutions: [QuantizedConvolution?] = []
        var previous = input
        var previousMeans = calibrated.input.channelMeans
        for (spec, stats) in zip(a.layers, calibrated.outputs) {
            defer { previousMeans = stats.channelMeans }
            if spec.type == .averagePool {
                outputs.append(previous)  // TFLite: the pool keeps its input's quantization
                convolutions.append(nil)
                continue
            }
            let r = outputRange(spec, stats, options)
            let output = QuantizedNetwork.Affine(int8Range: r.lower, r.upper)
            convolutions.append(try QuantizedConvolution(spec, parameters: file.parameters,
                                                         epsilon: file.metadata.batchNormEpsilon,
                                                         inputScale: previous.scale,
                                                         inputMeans: options.biasCorrection ? previousMeans : nil))
            outputs.append(output)
            previous = output
        }
        let m = file.metadata
        var fields = Trainer.modelFields(architecture: a, resolution: resolution, epsilon: 0, mean: m.inputMean,
                                         scale: m.inputScale, labels: m.labels, source: m.source, license: m.license)
        fields["precision"] = "int8"
        fields["calibration"] = "\(calibrated.images) images, \(options.method.name)"
            + (options.method == .percentile ? " \(options.percentile)" : "")
            + (options.biasCorrection ? ", bias correction" : "") + ", logits headroom \(options.logitsHeadroom)" 
        let json = "{" + fields.keys.sorted().map {
            CheckpointFile.jsonString($0) + ":" + CheckpointFile.jsonString(fields[$0]!)
        }.joined(separator: ",") + "}"
        return TFLiteInt8Writer.write(architecture: a, resolution: resolution, input: input,
                                      convolutions: convolutions, outputs: outputs, metadataJSON: json)
    }
}
