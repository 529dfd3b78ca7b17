#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Softmax {
    /// Probabilities from logits, in place; the sum is taken in Double. Always
    /// finite and summing to 1, even when a model's weights make logits
    /// overflow: NaN counts as -infinity, and if any logit is +infinity the
    /// probability is shared among those; if none is above -infinity, uniform.
    static func inPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count {
            if values[i].isNaN { values[i] = -.infinity }
            if values[i] > maximum { maximum = values[i] }
        }
        if maximum == .infinity || maximum == -.infinity {
            var hits = 0
            for i in 0..<count where values[i] == maximum { hits += 1 }
            let share = 1 / Float(hits)
            for i in 0..<count { values[i] = values[i] == maximum ? share : 0 }
            return
        }
        var sum = 0.0
        for i in 0..<count {
            let e = exp(Double(values[i] - maximum))
            values[i] = Float(e)
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { values[i] = Float(Double(values[i]) * inverse) }
    }

    /// The k largest values, largest first, ties broken by lower index: k
    /// selection passes, so nothing is allocated.
    static func topK(_ values: UnsafePointer<Float>, count: Int, k: Int,
                     emit: (_ rank: Int, _ index: Int, _ value: Float) -> Void) {
        var previousValue = Float.infinity
        var previousIndex = -1
        for rank in 0..<k {
            var best = -1
            var bestValue = -Float.infinity
            for i in 0..<count {
                let v = values[i]
                // Ranked strictly after the previous pick in (value desc, index asc) order.
                let after = v < previousValue || (v == previousValue && i > previousIndex)
                if after && (best < 0 || v > bestValue) {
                    best = i
                    bestValue = v
                }
            }
            if best < 0 { return }
            emit(rank, best, bestValue)
            previousValue = bestValue
            previousIndex = best
        }
    }
}
