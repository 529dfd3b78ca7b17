#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Softmax {
    /// Probabilities from logits, in place; the sum is taken in Double.
    static func inPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count where values[i] > maximum { maximum = values[i] }
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
