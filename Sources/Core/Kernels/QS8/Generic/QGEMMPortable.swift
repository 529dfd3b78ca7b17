// The generic tier's 8-bit GEMM: portable SIMD over QGEMMPanels' pair
// layout. Each 8-column half of a panel is done for all rows in 4-row
// blocks (4 accumulators of 8 int32: 8 xmm registers on SSE2 of 16). Each
// pair step splits the panel's 8 columns into even and odd lanes once for
// the 4 rows: 6-10 GOP/s on Zen 3, against 4-6 when each row widened its
// own products. Exact integers, so the blocking never changes the bits.
import MobileNetKernelInterface

public enum QGEMMPortable: PairLayoutQGEMM {
    public static let rowBlock = 4

    public static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int,
                           packedB: UnsafePointer<Int16>, requantization: Requantization,
                           c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?) {
        let panels = panels ?? 0..<QGEMMPanels.panelCount(n: n)
        for p in panels {
            let col = p * QGEMMPanels.panelWidth
            let width = min(QGEMMPanels.panelWidth, n - col)
            var half = 0
            while half < width {
                let stage = ChannelStage8(requantization, channel: col + half)
                let b = packedB + col * k + 2 * half
                var row = 0
                while row < m {
                    let rows = min(rowBlock, m - row)
                    kernel4x8(rows: rows, k: k, a: a + row * lda, lda: lda, b: b, pairStride: 2 * width,
                              stage: stage, c: c + row * ldc + col + half, ldc: ldc)
                    row += rows
                }
                half += 8
            }
        }
    }

    /// Rows [0, rows) (1...4) x 8 columns; spare rows repeat the last real one and are not stored.
    @inline(__always)
    static func kernel4x8(rows: Int, k: Int, a: UnsafePointer<Int16>, lda: Int, b: UnsafePointer<Int16>,
                          pairStride: Int, stage: ChannelStage8, c: UnsafeMutablePointer<Int16>, ldc: Int) {
        var c0 = SIMD8<Int32>(), c1 = SIMD8<Int32>(), c2 = SIMD8<Int32>(), c3 = SIMD8<Int32>()
        let a0 = a, a1 = a + min(1, rows - 1) * lda, a2 = a + min(2, rows - 1) * lda, a3 = a + min(3, rows - 1) * lda
        var bp = b
        var i = 0
        while i < k {
            let bv = UnsafeRawPointer(bp).loadUnaligned(as: SIMD16<Int16>.self)
            let even = widen(bv.evenHalf), odd = widen(bv.oddHalf)
            c0 &+= pairDot(even, odd, a0 + i)
            c1 &+= pairDot(even, odd, a1 + i)
            c2 &+= pairDot(even, odd, a2 + i)
            c3 &+= pairDot(even, odd, a3 + i)
            bp += pairStride
            i += 2
        }
        store8(requantize8(c0, stage), c)
        if rows > 1 { store8(requantize8(c1, stage), c + ldc) }
        if rows > 2 { store8(requantize8(c2, stage), c + 2 * ldc) }
        if rows > 3 { store8(requantize8(c3, stage), c + 3 * ldc) }
    }

    /// a[0] * b(even lanes) + a[1] * b(odd lanes): 8 columns of one row pair.
    @inline(__always)
    static func pairDot(_ even: SIMD8<Int32>, _ odd: SIMD8<Int32>, _ a: UnsafePointer<Int16>) -> SIMD8<Int32> {
        (even &* SIMD8(repeating: Int32(a[0]))) &+ (odd &* SIMD8(repeating: Int32(a[1])))
    }
}
