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

/// A job of `parts` parts calling a non-escaping body (no allocation: the
/// pool runs it before `forEachPart` returns).
private struct BodyJob: PartRunner {
    let parts: Int
    let body: (Int, Int) -> Void
    func run(part: Int, slot: Int) { body(part, slot) }
}

extension ThreadPool {
    /// Runs body(part, slot) for every part in 0..<parts over the pool.
    func forEachPart(_ parts: Int, _ body: (_ part: Int, _ slot: Int) -> Void) {
        withoutActuallyEscaping(body) { escaping in parallel(BodyJob(parts: parts, body: escaping)) }
    }

    /// Runs body(range, slot) over 0..<count split into a few parts a thread,
    /// in multiples of `granule`: for work whose outputs do not depend on the split.
    func forEachRange(_ count: Int, granule: Int = 1, _ body: (_ range: Range<Int>, _ slot: Int) -> Void) {
        guard count > 0 else { return }
        let units = (count + granule - 1) / granule
        let n = max(min(units, threadCount * 4), 1)
        forEachPart(n) { part, slot in
            let r = partition(count, part: part, parts: n, granule: granule)
            if !r.isEmpty { body(r, slot) }
        }
    }
}

/// sum[e] = sum over chunks c, in order, of partial[c * stride + e], for
/// e < count, split across the pool by elements (so the order per element
/// never changes).
func reducePartials(_ partial: UnsafePointer<Float>, chunks: Int, stride: Int, count: Int,
                    into sum: UnsafeMutablePointer<Float>, pool: ThreadPool) {
    if chunks == 1 { sum.update(from: partial, count: count); return }
    pool.forEachRange(count, granule: 64) { range, _ in
        for e in range {
            var s = partial[e]
            for c in 1..<chunks { s += partial[c * stride + e] }
            sum[e] = s
        }
    }
}
