// One row of the AVX2 8-bit GEMM (the logits' only row, a leftover row):
// four panels at once, so 8 independent accumulators keep both vpmaddwd
// pipes busy where one panel's two would wait on each other.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

enum QSingleRow {
    /// Columns [from, to) of row `a` (`from` a panel start).
    static func run(k: Int, n: Int, a: UnsafePointer<Int16>, packedB: UnsafePointer<Int16>, r: Requantization,
                    c: UnsafeMutablePointer<Int16>, from: Int, to end: Int) {
        let width = QGEMMPanels.panelWidth
        var col = from
        while col + 4 * width <= end {
            row64(k: k, a: a, b: packedB + col * k, r: r, channel: col, c: c + col)
            col += 4 * width
        }
        while col < end {
            if n - col >= width {
                row16(k: k, a: a, b: packedB + col * k, r: r, channel: col, c: c + col)
            } else {
                QTile8<Rows4>.run(rows: 1, k: k, a: a, lda: 0, b: packedB + col * k, r: r, channel: col, c: c + col,
                                  ldc: 0)
            }
            col += width
        }
    }

    @inline(__always)
    static func row64(k: Int, a: UnsafePointer<Int16>, b: UnsafePointer<Int16>, r: Requantization, channel: Int,
                      c: UnsafeMutablePointer<Int16>) {
        let zero = _mm256_setzero_si256()
        var c0 = zero, c1 = zero, c2 = zero, c3 = zero, c4 = zero, c5 = zero, c6 = zero, c7 = zero
        var p0 = b, p1 = b + 16 * k, p2 = b + 32 * k, p3 = b + 48 * k
        var i = 0
        while i < k {
            let x = broadcastPair(a + i)
            madd(&c0, x, loadYmm(p0)); madd(&c1, x, loadYmm(p0 + 16))
            madd(&c2, x, loadYmm(p1)); madd(&c3, x, loadYmm(p1 + 16))
            madd(&c4, x, loadYmm(p2)); madd(&c5, x, loadYmm(p2 + 16))
            madd(&c6, x, loadYmm(p3)); madd(&c7, x, loadYmm(p3 + 16))
            p0 += 32; p1 += 32; p2 += 32; p3 += 32
            i += 2
        }
        store16(requantizeYmm(c0, YmmStage(r, channel: channel)), requantizeYmm(c1, YmmStage(r, channel: channel + 8)), c)
        store16(requantizeYmm(c2, YmmStage(r, channel: channel + 16)),
                requantizeYmm(c3, YmmStage(r, channel: channel + 24)), c + 16)
        store16(requantizeYmm(c4, YmmStage(r, channel: channel + 32)),
                requantizeYmm(c5, YmmStage(r, channel: channel + 40)), c + 32)
        store16(requantizeYmm(c6, YmmStage(r, channel: channel + 48)),
                requantizeYmm(c7, YmmStage(r, channel: channel + 56)), c + 48)
    }

    @inline(__always)
    static func row16(k: Int, a: UnsafePointer<Int16>, b: UnsafePointer<Int16>, r: Requantization, channel: Int,
                      c: UnsafeMutablePointer<Int16>) {
        let zero = _mm256_setzero_si256()
        var c0 = zero, c1 = zero
        var p = b
        var i = 0
        while i < k {
            let x = broadcastPair(a + i)
            madd(&c0, x, loadYmm(p)); madd(&c1, x, loadYmm(p + 16))
            p += 32
            i += 2
        }
        store16(requantizeYmm(c0, YmmStage(r, channel: channel)), requantizeYmm(c1, YmmStage(r, channel: channel + 8)), c)
    }
}
