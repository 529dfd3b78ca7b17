/// Sums over pixels and images are cut into chunks fixed by the row count
/// alone (never by the thread count) and the chunks' partial sums are added
/// in chunk order: bit-identical results for any num_threads. At least 1024
/// rows a chunk (a GEMM k long enough to run at speed), at most 256 chunks
/// (bounded partial-sum memory).
struct ReductionChunks {
    let rows: Int
    let rowsPerChunk: Int
    var count: Int { rows == 0 ? 0 : (rows + rowsPerChunk - 1) / rowsPerChunk }

    init(rows: Int, minimumPerChunk: Int = 1024) {
        self.rows = rows
        let spread = (rows + 255) / 256
        rowsPerChunk = max(minimumPerChunk, (spread + 7) / 8 * 8, 1)
    }

    func range(_ chunk: Int) -> Range<Int> {
        let lower = chunk * rowsPerChunk
        return lower..<min(lower + rowsPerChunk, rows)
    }
}

/// Work on a range of rows, for `forEachRange`. Jobs are structs rather than
/// closures: handing a closure to the pool's threads needs an escaping copy
/// (`withoutActuallyEscaping` boxes it), 232 heap allocations a training
/// step, and a step must allocate nothing after the first at its size.
protocol RangeWork {
    func run(_ range: Range<Int>, slot: Int)
}

private struct RangeJob<Work: RangeWork>: PartRunner {
    let work: Work
    let count: Int, granule: Int, parts: Int
    func run(part: Int, slot: Int) {
        let r = partition(count, part: part, parts: parts, granule: granule)
        if !r.isEmpty { work.run(r, slot: slot) }
    }
}

extension ThreadPool {
    /// Runs work over 0..<count split into a few parts a thread, in
    /// multiples of `granule`: for work whose outputs do not depend on the split.
    func forEachRange<Work: RangeWork>(_ count: Int, granule: Int = 1, _ work: Work) {
        guard count > 0 else { return }
        let units = (count + granule - 1) / granule
        parallel(RangeJob(work: work, count: count, granule: granule, parts: max(min(units, threadCount * 4), 1)))
    }
}

private struct ReducePartials: RangeWork {
    let partial: UnsafePointer<Float>, chunks: Int, stride: Int, sum: UnsafeMutablePointer<Float>
    func run(_ range: Range<Int>, slot: Int) {
        for e in range {
            var s = partial[e]
            for c in 1..<chunks { s += partial[c * stride + e] }
            sum[e] = s
        }
    }
}

/// sum[e] = sum over chunks c, in order, of partial[c * stride + e], for
/// e < count, split across the pool by elements (so the order per element
/// never changes).
func reducePartials(_ partial: UnsafePointer<Float>, chunks: Int, stride: Int, count: Int,
                    into sum: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    if chunks == 1 { sum.update(from: partial, count: count); return }
    pool.forEachRange(count, granule: 64, ReducePartials(partial: partial, chunks: chunks, stride: stride, sum: sum))
}
