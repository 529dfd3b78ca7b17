#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TF-Slim's initializer, tf.truncated_normal_initializer: normal values,
/// redrawn while more than two standard deviations from the mean, from a
/// seeded generator (SplitMix64, then Box-Muller in Double): the same seed
/// gives the same network on every machine.
struct TruncatedNormal {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    private mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    mutating func sample(stddev: Double) -> Float {
        while true {
            let u = uniform(), v = uniform()
            let r = (-2 * log(u)).squareRoot()
            let x = r * cos(2 * Double.pi * v)
            if abs(x) <= 2 { return Float(x * stddev) }
        }
    }

    mutating func fill(_ p: UnsafeMutablePointer<Float>, count: Int, stddev: Double) {
        for i in 0..<count { p[i] = sample(stddev: stddev) }
    }
}
