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

    /// The k largest values, largest first, ties broken by lower index,
    /// through `emit(rank, index, value)` in rank order. A heap of the k
    /// best seen so far, then heapsort: O(n log k). The k selection passes
    /// this replaced took 31.6 s for k = n = 100,000.
    ///
    /// The k indices live on the stack up to `stackIndices`, above that in
    /// a reused IndexScratch buffer: nothing is allocated once a top_k has
    /// been seen. Without memory for them, a selection pass per rank
    /// (O(n k), no memory) does the same job.
    static func topK(_ values: UnsafePointer<Float>, count: Int, k: Int,
                     emit: (_ rank: Int, _ index: Int, _ value: Float) -> Void) {
        let k = min(max(k, 0), count)
        guard k > 0 else { return }
        if k <= stackIndices {
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: k) { scratch in
                topK(values, count: count, k: k, scratch: scratch.baseAddress!, emit: emit)
            }
            return
        }
        IndexScratch.with(count: k) { scratch in
            if let scratch {
                topK(values, count: count, k: k, scratch: scratch, emit: emit)
            } else {
                selectionTopK(values, count: count, k: k, emit: emit)
            }
        }
    }

    /// 1 KiB of Int32 indices: Swift puts a temporary allocation of up to
    /// 1 KiB on the stack; a larger one (1,001 classes) came from malloc.
    static let stackIndices = 256

    /// The same order by k selection passes: no memory, O(n k).
    static func selectionTopK(_ values: UnsafePointer<Float>, count: Int, k: Int,
                              emit: (_ rank: Int, _ index: Int, _ value: Float) -> Void) {
        var previous = -1
        for rank in 0..<min(k, count) {
            var best = -1
            for i in 0..<count where previous < 0 || ranksBefore(values, previous, i) {
                if best < 0 || ranksBefore(values, i, best) { best = i }
            }
            if best < 0 { return }
            emit(rank, best, values[best])
            previous = best
        }
    }

    /// Whether index a ranks before index b: larger value, or equal value
    /// and lower index; NaN ranks after every number (softmax leaves none).
    @inline(__always)
    static func ranksBefore(_ values: UnsafePointer<Float>, _ a: Int, _ b: Int) -> Bool {
        let x = values[a], y = values[b]
        if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? a < b : y.isNaN }
        return x > y || (x == y && a < b)
    }

    static func topK(_ values: UnsafePointer<Float>, count: Int, k: Int, scratch heap: UnsafeMutablePointer<Int32>,
                     emit: (_ rank: Int, _ index: Int, _ value: Float) -> Void) {
        let k = min(max(k, 0), count)
        guard k > 0, count <= Int(Int32.max) else { return }
        @inline(__always) func before(_ a: Int32, _ b: Int32) -> Bool { ranksBefore(values, Int(a), Int(b)) }
        // A heap whose root is the worst of the k kept (ranked last).
        @inline(__always) func siftDown(_ start: Int, _ size: Int) {
            var i = start
            while true {
                let left = 2 * i + 1
                if left >= size { return }
                var worst = left
                if left + 1 < size && before(heap[worst], heap[left + 1]) { worst = left + 1 }
                if !before(heap[i], heap[worst]) { return }
                (heap[i], heap[worst]) = (heap[worst], heap[i])
                i = worst
            }
        }
        for i in 0..<k { heap[i] = Int32(i) }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i, k) }
        for i in k..<count where before(Int32(i), heap[0]) {
            heap[0] = Int32(i)
            siftDown(0, k)
        }
        // Heapsort: the worst goes to the end, leaving best-first order.
        for size in stride(from: k - 1, to: 0, by: -1) {
            (heap[0], heap[size]) = (heap[size], heap[0])
            siftDown(0, size)
        }
        for rank in 0..<k {
            let index = Int(heap[rank])
            emit(rank, index, values[index])
        }
    }
}
