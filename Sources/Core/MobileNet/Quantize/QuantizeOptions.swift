/// How `Quantizer` picks each activation's range from the calibration images.
public enum CalibrationMethod: Sendable, Equatable {
    /// The largest value seen (TensorFlow's converter does this).
    case minMax
    /// The value below which `percentile` percent of the samples lie.
    case percentile
    /// The clipping point that minimizes the expected squared quantization
    /// error (clipping plus rounding) over the samples' histogram.
    case mse

    public var name: String {
        switch self {
        case .minMax: return "minmax"
        case .percentile: return "percentile"
        case .mse: return "mse"
        }
    }
}

public struct QuantizeOptions: Sendable {
    public var method: CalibrationMethod
    /// For `.percentile`: in 50...100.
    public var percentile: Double
    /// Threads for the calibration runs (0: one per online core, up to 64).
    public var numThreads: Int
    /// Subtract from each bias the mean shift that rounding the weights causes.
    public var biasCorrection: Bool
    /// The logits' calibrated top is multiplied by this (1...8).
    public var logitsHeadroom: Double

    public static let defaultLogitsHeadroom = 1.5

    public static let defaultPercentile = 99.99

    public init(method: CalibrationMethod = .minMax, percentile: Double = QuantizeOptions.defaultPercentile,
                numThreads: Int = 0, biasCorrection: Bool = true,
                logitsHeadroom: Double = QuantizeOptions.defaultLogitsHeadroom) {
        self.biasCorrection = biasCorrection
        self.logitsHeadroom = logitsHeadroom
        self.method = method
        self.percentile = percentile
        self.numThreads = numThreads
    }

    func validate() throws {
        guard percentile.isFinite, (50...100).contains(percentile) else {
            throw MobileNetError.invalid("percentile \(percentile) is outside 50...100")
        }
        guard logitsHeadroom.isFinite, (1...8).contains(logitsHeadroom) else {
            throw MobileNetError.invalid("logits headroom \(logitsHeadroom) is outside 1...8")
        }
        guard (0...LoadOptions.maxThreads).contains(numThreads) else {
            throw MobileNetError.invalid("num_threads \(numThreads) is outside 0...\(LoadOptions.maxThreads)")
        }
    }
}
