// The 8-bit GEMM of the AVX2 tier: C = requantize(A B + bias) on
// QGEMMPanels' pair layout. One k-pair step of a 16-column panel is two
// panel loads, one 32-bit broadcast of (a(2i), a(2i+1)) per row, and per
// row two vpmaddwd (8 columns' a0 b0 + a1 b1 each, exact: |v|, |w| <= 255)
// added into int32 accumulators.
//
// Loop order as in F32's PointwiseGEMM: groups of four panels; within a
// group, each block of rows goes through the four panels while it is in
// L1; a single leftover row (the logits' only row, the 49th of a 7x7
// layer) takes a 1-row kernel four panels wide right after its group.
// Exact integers: no blocking or split changes the bits.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

public enum QGEMMAVX2: PairLayoutQGEMM {
    public static var rowBlock: Int { Tile.rows }
    /// 4 x 16 (8 accumulators) beat 6 x 16 (12) on all five MobileNet shapes
    /// on Zen 3: median GOP/s of 15 interleaved rounds 47 vs 42 (M=12544,
    /// K=32, N=64), 68 vs 51 (3136, 128, 128), 86 vs 77 (196, 512, 512),
    /// 83 vs 78 (49, 1024, 1024); the 6-row epilogue spills its output-stage
    /// operands. Rows6 stays for a tier with 32 registers to measure.
    typealias Tile = Rows4

    public static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int,
                           packedB: UnsafePointer<Int16>, requantization r: Requantization,
                           c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?) {
        let width = QGEMMPanels.panelWidth
        let panels = panels ?? 0..<QGEMMPanels.panelCount(n: n)
        let end = min(panels.upperBound * width, n)
        let singleLeftover = m % Tile.rows == 1
        let rows = singleLeftover ? m - 1 : m
        var group = panels.lowerBound * width
        while group < end {
            let groupEnd = min(group + 4 * width, end)
            var row = 0
            while row < rows {
                let count = min(Tile.rows, rows - row)
                var col = group
                while col < groupEnd {
                    let panel = packedB + col * k, out = c + row * ldc + col, ar = a + row * lda
                    if n - col >= width {
                        QTile16<Tile>.run(rows: count, k: k, a: ar, lda: lda, b: panel, r: r, channel: col,
                                          c: out, ldc: ldc)
                    } else {
                        QTile8<Tile>.run(rows: count, k: k, a: ar, lda: lda, b: panel, r: r, channel: col,
                                         c: out, ldc: ldc)
                    }
                    col += width
                }
                row += count
            }
            if singleLeftover {
                QSingleRow.run(k: k, n: n, a: a + (m - 1) * lda, packedB: packedB, r: r, c: c + (m - 1) * ldc,
                               from: group, to: groupEnd)
            }
            group = groupEnd
        }
    }
}

/// Rows of a register tile, a type so the kernels specialise on it.
protocol QRowCount { static var rows: Int { get } }
enum Rows4: QRowCount { static var rows: Int { 4 } }
enum Rows6: QRowCount { static var rows: Int { 6 } }

@inline(__always)
func broadcastPair(_ p: UnsafePointer<Int16>) -> __m256i {
    _mm256_set1_epi32(UnsafeRawPointer(p).loadUnaligned(as: Int32.self))
}

@inline(__always)
func loadYmm(_ p: UnsafePointer<Int16>) -> __m256i { UnsafeRawPointer(p).loadUnaligned(as: __m256i.self) }

@inline(__always)
func madd(_ acc: inout __m256i, _ a: __m256i, _ b: __m256i) {
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(a, b))
}
