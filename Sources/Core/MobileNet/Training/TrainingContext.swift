import MobileNetKernelInterface

/// Scratch a layer's training passes need at one (batch, size): a shared
/// buffer (a packed weight matrix), one buffer per pool slot, and chunk
/// partial sums. The workspace allocates the maximum over layers once.
struct ScratchNeeds {
    var shared = 0
    var perSlot = 0
    var partial = 0
    /// The widest matrix a GEMM multiplies into (zero biases).
    var channels = 0

    mutating func merge(_ other: ScratchNeeds) {
        shared = max(shared, other.shared)
        perSlot = max(perSlot, other.perSlot)
        partial = max(partial, other.partial)
        channels = max(channels, other.channels)
    }
}

/// What every training pass runs with: the tier's kernels, the pool, and
/// the scratch of the current workspace.
final class TrainingContext {
    let kernels: any F32TrainingKernels
    /// The tier's inference GEMM (8x32 zmm tiles on AVX-512): used where the
    /// channel counts are multiples of 8, as in every standard width.
    let inference: any F32Kernels
    let pool: ThreadPool
    /// Zero biases for the inference GEMM.
    private(set) var zeros: AlignedBuffer
    private(set) var shared: AlignedBuffer
    private(set) var perSlot: AlignedBuffer
    private(set) var partial: AlignedBuffer
    private var perSlotFloats = 0

    init(kernels: any F32TrainingKernels, inference: any F32Kernels, pool: ThreadPool) throws {
        self.kernels = kernels
        self.inference = inference
        self.pool = pool
        zeros = try AlignedBuffer(count: 0)
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
        if needs.channels > zeros.count { zeros = try AlignedBuffer(count: needs.channels) }
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
        let packed = max(kernels.denseGEMMPackedCount(k: chunks.rowsPerChunk, n: n),
                         inference.gemmPackedCount(k: chunks.rowsPerChunk, n: (n + 7) / 8 * 8))
        return ScratchNeeds(perSlot: k * chunks.rowsPerChunk + packed, partial: chunks.count * k * n, channels: n)
    }

    /// grad[k x n] = X^T dZ summed over `rows` rows in fixed chunks; each
    /// chunk's X transposed (k x chunk rows) comes from `x`.
    func gemmWeightGradient(rows: Int, k: Int, n: Int, x: WeightGradientInput, dz: UnsafePointer<Float>,
                            grad: UnsafeMutablePointer<Float>) {
        let chunks = ReductionChunks(rows: rows)
        // Few chunks (the 7x7 layers: one at batch 16) would leave threads
        // idle: then each chunk's rows of dW are split too, which changes no
        // sum (every element is still one chain over its chunk's rows).
        let splits = chunks.count >= 2 * pool.threadCount ? 1
            : max(1, min((2 * pool.threadCount + chunks.count - 1) / chunks.count, k / 32))
        pool.parallel(WeightGradientJob(ctx: self, chunks: chunks, splits: splits, k: k, n: n, x: x, dz: dz,
                                        fast: n % 8 == 0))
        reducePartials(partial.pointer, chunks: chunks.count, stride: k * n, count: k * n, into: grad, pool: pool)
    }

    /// Whether a k x n product runs on the inference GEMM (n, k multiples of 8).
    func usesInferenceGEMM(k: Int, n: Int) -> Bool { k % 8 == 0 && n % 8 == 0 && k > 0 && n > 0 }

    /// Packs B (k x n, element (r, c) at b[r * rowStride + c * columnStride])
    /// for the inference GEMM into `packed`, a row at a time through `row`.
    func packForInference(_ b: UnsafePointer<Float>, rowStride: Int, columnStride: Int, k: Int, n: Int,
                                  into packed: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>) {
        packed.initialize(repeating: 0, count: inference.gemmPackedCount(k: k, n: n))
        for r in 0..<k {
            let src = b + r * rowStride
            if columnStride == 1 {
                inference.gemmPackRow(src, row: r, k: k, n: n, into: packed)
            } else {
                for c in 0..<n { row[c] = src[c * columnStride] }
                inference.gemmPackRow(row, row: r, k: k, n: n, into: packed)
            }
        }
    }

    /// Shared floats `gemmRows` needs for a k x n B (its packing, and a row).
    func gemmRowsNeeds(k: Int, n: Int) -> ScratchNeeds {
        var needs = ScratchNeeds(channels: n)
        needs.shared = max(kernels.denseGEMMPackedCount(k: k, n: n), inference.gemmPackedCount(k: k, n: (n + 7) / 8 * 8) + n)
        return needs
    }

    /// C[rows x n] = A B with B (k x n, element (r, c) at
    /// b[r * rowStride + c * columnStride]) packed once into the shared buffer.
    func gemmRows(rows: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                  rowStride: Int, columnStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let packed = shared.pointer
        if usesInferenceGEMM(k: k, n: n) {
            packForInference(b, rowStride: rowStride, columnStride: columnStride, k: k, n: n, into: packed,
                             row: packed + inference.gemmPackedCount(k: k, n: n))
            pool.forEachRange(rows, granule: inference.gemmRowBlock,
                              RowsJob(kernels: kernels, inference: inference, useInference: true, k: k, n: n, a: a,
                                      lda: lda, packed: packed, bias: zeros.pointer, c: c, ldc: ldc))
            return
        }
        kernels.denseGEMMPackB(b, rowStride: rowStride, columnStride: columnStride, k: k, n: n, into: packed)
        pool.forEachRange(rows, granule: 6,
                          RowsJob(kernels: kernels, inference: inference, useInference: false, k: k, n: n, a: a,
                                  lda: lda, packed: packed, bias: zeros.pointer, c: c, ldc: ldc))
    }
}

/// Rows of C = A B on a packed B (gemmRows).
private struct RowsJob: RangeWork {
    let kernels: any F32TrainingKernels, inference: any F32Kernels, useInference: Bool
    let k: Int, n: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>
    let bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int

    func run(_ range: Range<Int>, slot: Int) {
        if useInference {
            inference.gemm(m: range.count, k: k, n: n, a: a + range.lowerBound * lda, lda: lda, packedB: packed,
                           bias: bias, c: c + range.lowerBound * ldc, ldc: ldc, clamp: .none, panels: nil)
        } else {
            kernels.denseGEMM(m: range.count, k: k, n: n, a: a + range.lowerBound * lda, lda: lda, packedB: packed,
                              c: c + range.lowerBound * ldc, ldc: ldc, accumulate: false)
        }
    }
}

/// Where a weight gradient's X comes from: rows of a matrix (a 1x1 layer's
/// input, the pooled features), or the 3x3 windows of an image batch.
enum WeightGradientInput {
    case rows(UnsafePointer<Float>)
    case windows(FullConvTraining3x3, x: UnsafePointer<Float>, geometry: LayerGeometry)
}

/// One chunk of X^T dZ (a slice of its rows) into its partial sum (gemmWeightGradient).
private struct WeightGradientJob: PartRunner {
    let ctx: TrainingContext, chunks: ReductionChunks, splits: Int, k: Int, n: Int
    let x: WeightGradientInput, dz: UnsafePointer<Float>, fast: Bool
    var parts: Int { chunks.count * splits }

    func run(part: Int, slot: Int) {
        let chunk = part / splits
        let slice = partition(k, part: part % splits, parts: splits, granule: 8)
        guard !slice.isEmpty else { return }
        let range = chunks.range(chunk)
        let scratch = ctx.slotScratch(slot)
        let packed = scratch + k * chunks.rowsPerChunk
        let a: UnsafePointer<Float>
        switch x {
        case .rows(let rows):
            ctx.kernels.transpose(rows: range.count, columns: slice.count, rows + range.lowerBound * k + slice.lowerBound,
                                  lds: k, scratch, ldd: range.count)
            a = UnsafePointer(scratch)
        case .windows(let conv, let images, let g):
            conv.transposedWindows(images, g, rows: range, into: scratch)
            a = UnsafePointer(scratch + slice.lowerBound * range.count)
        }
        let c = ctx.partial.pointer + chunk * k * n + slice.lowerBound * n, b = dz + range.lowerBound * n
        if fast {
            ctx.packForInference(b, rowStride: n, columnStride: 1, k: range.count, n: n, into: packed, row: packed)
            ctx.inference.gemm(m: slice.count, k: range.count, n: n, a: a, lda: range.count, packedB: packed,
                               bias: ctx.zeros.pointer, c: c, ldc: n, clamp: .none, panels: nil)
        } else {
            ctx.kernels.denseGEMMPackB(b, rowStride: n, columnStride: 1, k: range.count, n: n, into: packed)
            ctx.kernels.denseGEMM(m: slice.count, k: range.count, n: n, a: a, lda: range.count, packedB: packed,
                                  c: c, ldc: n, accumulate: false)
        }
    }
}
