/// What calibration saw of one activation tensor: its extremes, and a
/// histogram of its non-zero magnitudes for the percentile and MSE methods.
/// ReLU6 outputs lie in [0, 6]; 4096 bins over that (1.5e-3 wide) are 12x
/// finer than the int8 step of a 6.0 range (0.0235), so a clipping point is
/// chosen far below the rounding error it trades against.
struct ActivationStatistics {
    static let binCount = 4096

    private(set) var minimum = Float.infinity
    private(set) var maximum = -Float.infinity
    private(set) var bins: [Double]
    /// Samples that are exactly 0: representable at any scale, so they take
    /// no part in choosing one (after ReLU6 about half of all values).
    private(set) var zeros: Double = 0
    let histogramTop: Float
    /// Per channel: the sum of its values, over `samples` pixels (bias correction's E[x]).
    private(set) var channelSums: [Double] = []
    private(set) var samples: Double = 0

    init(histogramTop: Float) {
        self.histogramTop = histogramTop
        bins = [Double](repeating: 0, count: ActivationStatistics.binCount)
    }

    /// Adds `channels` values of each of `pixels` pixels, `pixelStride` floats apart.
    mutating func add(_ values: UnsafePointer<Float>, pixels: Int, channels: Int, pixelStride: Int) {
        let width = histogramTop / Float(ActivationStatistics.binCount)
        let last = ActivationStatistics.binCount - 1
        var lo = minimum, hi = maximum, zero = 0
        if channelSums.count != channels { channelSums = [Double](repeating: 0, count: channels) }
        var sums = [Float](repeating: 0, count: channels)
        bins.withUnsafeMutableBufferPointer { bins in
            for p in 0..<pixels {
                let row = values + p * pixelStride
                for c in 0..<channels {
                    let v = row[c]
                    sums[c] += v
                    lo = min(lo, v)
                    hi = max(hi, v)
                    if v == 0 { zero += 1; continue }
                    let bin = min(Int(min(abs(v) / width, Float(last))), last)
                    bins[bin] += 1
                }
            }
        }
        minimum = lo
        maximum = hi
        zeros += Double(zero)
        for c in 0..<channels { channelSums[c] += Double(sums[c]) }
        samples += Double(pixels)
    }

    /// Per channel: the mean value seen.
    var channelMeans: [Double] { channelSums.map { samples > 0 ? $0 / samples : 0 } }

    var count: Double { bins.reduce(0, +) + zeros }

    /// The real range [lower, upper] the activation is quantized over: it
    /// always holds 0 (so that 0 is exact, as TFLite requires), its top set
    /// by `method` for non-negative activations; a tensor with negative
    /// values (the logits, the input) keeps its extremes.
    func range(_ method: CalibrationMethod, percentile: Double) -> (lower: Float, upper: Float) {
        guard minimum <= maximum else { return (0, 1) }  // never filled: not reached for a calibrated layer
        let lower = min(minimum, 0)
        var upper = max(maximum, 0)
        if lower == 0, upper > 0 {
            switch method {
            case .minMax: break
            case .percentile: upper = min(upper, percentileTop(percentile))
            case .mse: upper = min(upper, minimumErrorTop())
            }
        }
        // A tensor that is 0 everywhere still needs a positive scale.
        if upper - lower <= 0 { upper = lower + 1e-6 }
        return (lower, upper)
    }

    private var binWidth: Double { Double(histogramTop) / Double(ActivationStatistics.binCount) }

    /// The upper edge of the bin where the non-zero samples' cumulative
    /// count reaches `percentile` percent.
    private func percentileTop(_ percentile: Double) -> Float {
        let total = bins.reduce(0, +)
        guard total > 0 else { return maximum }
        let target = total * percentile / 100
        var seen = 0.0
        for (i, n) in bins.enumerated() {
            seen += n
            if seen >= target { return Float(Double(i + 1) * binWidth) }
        }
        return maximum
    }

    /// The top t minimizing sum over samples of the squared error of
    /// quantizing to 255 steps over [0, t]: (x - t)^2 above t, and the
    /// rounding error step^2 / 12 below it. Candidates are the bin edges
    /// from 1/8 of the maximum up.
    private func minimumErrorTop() -> Float {
        let total = bins.reduce(0, +)
        guard total > 0, maximum > 0 else { return maximum }
        let w = binWidth
        let lastBin = min(Int(Double(maximum) / w), ActivationStatistics.binCount - 1)
        let firstBin = max(lastBin / 8, 1)
        // Suffix sums of n, n*c and n*c^2 (c: bin centre) make each
        // candidate O(1): sum over i >= edge of n (c - t)^2.
        var n = [Double](repeating: 0, count: lastBin + 2), nc = n, ncc = n
        for i in stride(from: lastBin, through: 0, by: -1) {
            let c = (Double(i) + 0.5) * w
            n[i] = n[i + 1] + bins[i]
            nc[i] = nc[i + 1] + bins[i] * c
            ncc[i] = ncc[i + 1] + bins[i] * c * c
        }
        var best = Double.infinity, bestTop = maximum
        for edge in firstBin...(lastBin + 1) {
            let t = Double(edge) * w
            let step = t / 255
            let below = n[0] - n[edge]
            let clipped = ncc[edge] - 2 * t * nc[edge] + t * t * n[edge]
            let error = below * step * step / 12 + max(clipped, 0)
            if error < best {
                best = error
                bestTop = Float(t)
            }
        }
        return min(bestTop, maximum)
    }
}
