/// SplitMix64: a small generator whose sequence is fixed by its seed on every
/// platform, so a split, a shuffle or a crop can be reproduced (and a resumed
/// run sees the epochs it would have seen). Not for cryptography.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// An independent stream for one purpose of one run (e.g. epoch 3's
    /// shuffle): the same (seed, purpose, index) always gives the same stream.
    init(seed: UInt64, stream purpose: UInt64, index: UInt64 = 0) {
        var mixer = SeededRandom(seed: seed ^ (purpose &* 0x9E37_79B9_7F4A_7C15))
        for _ in 0...(index % 4) { _ = mixer.next() }
        state = mixer.next() ^ (index &* 0xD1B5_4A32_D192_ED03)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// Uniform in 0..<bound (bound > 0), without modulo bias worth noting for
    /// the sizes shuffled here (the bias is below 2^-40 for bound < 2^24).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// Fisher-Yates, so the permutation depends only on the generator's stream.
    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, below(i + 1)) }
    }
}
