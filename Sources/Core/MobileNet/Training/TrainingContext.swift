import MobileNetKernelInterface

/// Scratch a layer's training passes need at one (batch, size): a shared
/// buffer (a packed weight matrix), one buffer per pool slot, and chunk
/// partial sums. The workspace allocates the maximum over layers once.
struct ScratchNeeds {
    var shared = 0
    var perSlot = 0
    var partial = 0

    mutating func merge(_ other: ScratchNeeds) {
        shared = max(shared, other.shared)
        perSlot = max(perSlot, other.perSlot)
        partial = max(partial, other.partial)
    }
}

/// What every training pass runs with: the tier's kernels, the pool, and
/// the scratch of the current workspace.
final class TrainingContext {
    let kernels: any F32TrainingKernels
    let pool: ThreadPool
    private(set) var shared: AlignedBuffer
    private(set) var perSlot: AlignedBuffer
    private(set) var partial: AlignedBuffer
    private var perSlotFloats = 0

    init(kernels: any F32TrainingKernels, pool: ThreadPool) throws {
        self.kernels = kernels
        self.pool = pool
        shared = try AlignedBuffer(count: 0)
        perSlot = try AlignedBuffer(count: 0)
        partial = try AlignedBuffer(count: 0)
    }

    func reserve(_ needs: ScratchNeeds) throws {
        // Per-slot buffers start on 64-byte boundaries.
        let slotFloats = (needs.perSlot + 15) / 16 * 16
        let (slots, overflow) = slotFloats.multipliedReportingOverflow(by: pool.threadCount)
        guard !overflow else { throw MobileNetError(.outOfMemory, "training scratch is too large") }
        if needs.shared > shared.count { shared = try AlignedBuffer(count: needs.shared, zeroed: false) }
        if slots > perSlot.count { perSlot = try AlignedBuffer(count: slots, zeroed: false) }
        if needs.partial > partial.count { partial = try AlignedBuffer(count: needs.partial, zeroed: false) }
        perSlotFloats = slotFloats
    }

    func slotScratch(_ slot: Int) -> UnsafeMutablePointer<Float> { perSlot.pointer + slot * perSlotFloats }

    /// Calls body(image, rows) for the parts of the flat rows `range` (over
    /// images of `rowsPerImage` rows each) that fall in each image.
    @inline(__always)
    static func forEachImageRows(_ range: Range<Int>, rowsPerImage: Int, _ body: (Int, Range<Int>) -> Void) {
        var r = range.lowerBound
        while r < range.upperBound {
            let image = r / rowsPerImage, first = r - image * rowsPerImage
            let last = min(rowsPerImage, first + (range.upperBound - r))
            body(image, first..<last)
            r += last - first
        }
    }

    // MARK: GEMM-shaped passes shared by the 1x1, the full 3x3 and the logits

    /// Scratch for `gemmWeightGradient` with `rows` rows, k x n weights.
    func gemmWeightGradientNeeds(rows: Int, k: Int, n: Int) -> ScratchNeeds {
        let chunks = ReductionChunks(rows: rows)
        return ScratchNeeds(perSlot: k * chunks.rowsPerChunk + kernels.denseGEMMPackedCount(k: chunks.rowsPerChunk, n: n),
                            partial: chunks.count * k * n)
    }

    /// grad[k x n] = X^T dZ summed over `rows` rows in fixed chunks, where
    /// `fillTransposed(range, into)` writes the chunk's X transposed
    /// (k x range.count, row stride range.count).
    func gemmWeightGradient(rows: Int, k: Int, n: Int, dz: UnsafePointer<Float>, grad: UnsafeMutablePointer<Float>,
                            fillTransposed: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let chunks = ReductionChunks(rows: rows)
        let kernels = self.kernels, partial = self.partial.pointer
        pool.forEachPart(chunks.count) { chunk, slot in
            let range = chunks.range(chunk)
            let transposed = slotScratch(slot)
            let packed = transposed + k * chunks.rowsPerChunk
            fillTransposed(range, transposed)
            kernels.denseGEMMPackB(dz + range.lowerBound * n, rowStride: n, columnStride: 1, k: range.count, n: n,
                                   into: packed)
            kernels.denseGEMM(m: k, k: range.count, n: n, a: transposed, lda: range.count, packedB: packed,
                              c: partial + chunk * k * n, ldc: n, accumulate: false)
        }
        reducePartials(partial, chunks: chunks.count, stride: k * n, count: k * n, into: grad, pool: pool)
    }

    /// C[rows x n] = A B with B (k x n, element (r, c) at
    /// b[r * rowStride + c * columnStride]) packed once into the shared buffer.
    func gemmRows(rows: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                  rowStride: Int, columnStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let packed = shared.pointer, kernels = self.kernels
        kernels.denseGEMMPackB(b, rowStride: rowStride, columnStride: columnStride, k: k, n: n, into: packed)
        pool.forEachRange(rows, granule: 6) { range, _ in
            kernels.denseGEMM(m: range.count, k: k, n: n, a: a + range.lowerBound * lda, lda: lda, packedB: packed,
                              c: c + range.lowerBound * ldc, ldc: ldc, accumulate: false)
        }
    }
}
