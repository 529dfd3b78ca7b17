// C[m x n] (+)= A[m x k] B[k x n] for training: any m, k, n (no multiple-of-8
// rule, no bias, no clamp). A is row-major with row stride lda (activations,
// gradients, or a transposed copy); B is packed into k x 16 column panels,
// zero-padded, by `packB`, which also reads transposed matrices through its
// strides. Same 6x16 tile of 12 SIMD8 accumulators as the inference GEMM.
//
// Every element of C is one multiply-add chain over k = 0, 1, ... starting
// from 0 (or from C's value when accumulating), whatever m range a call
// covers, so splitting rows across threads never changes a bit.
import MobileNetKernelInterface

public enum DenseGEMM {
    static let rowBlock = 6
    static let panelWidth = 16

    public static func packedCount(k: Int, n: Int) -> Int { k * ((n + panelWidth - 1) / panelWidth * panelWidth) }

    /// Packs B, whose element (r, c) is at b[r * rowStride + c * columnStride].
    public static func packB(_ b: UnsafePointer<Float>, rowStride: Int, columnStride: Int, k: Int, n: Int,
                             into packed: UnsafeMutablePointer<Float>) {
        var dst = packed
        var col = 0
        while col < n {
            let width = min(panelWidth, n - col)
            for r in 0..<k {
                let src = b + r * rowStride + col * columnStride
                if columnStride == 1 {
                    for j in 0..<width { dst[j] = src[j] }
                } else {
                    for j in 0..<width { dst[j] = src[j * columnStride] }
                }
                for j in width..<panelWidth { dst[j] = 0 }
                dst += panelWidth
            }
            col += panelWidth
        }
    }

    /// Rows [0, m) of C. `packedB` comes from `packB` with the same k, n.
    public static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                           packedB: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                           accumulate: Bool) {
        let panels = (n + panelWidth - 1) / panelWidth
        // Four panels per pass over the row blocks: a 6-row block of A is
        // read from memory once and reused from L1 for the four panels.
        var group = 0
        while group < panels {
            let groupEnd = min(group + 4, panels)
            var row = 0
            while row < m {
                let rows = min(rowBlock, m - row)
                for p in group..<groupEnd {
                    tile(rows: rows, k: k, a: a + row * lda, lda: lda, b: packedB + p * panelWidth * k,
                         c: c + row * ldc + p * panelWidth, ldc: ldc, columns: min(panelWidth, n - p * panelWidth),
                         accumulate: accumulate)
                }
                row += rowBlock
            }
            group = groupEnd
        }
    }

    @inline(__always)
    static func loadColumns(_ p: UnsafePointer<Float>, _ count: Int) -> Vec8 {
        if count >= 8 { return load8(p) }
        var v = Vec8()
        for j in 0..<max(count, 0) { v[j] = p[j] }
        return v
    }

    @inline(__always)
    static func storeColumns(_ v: Vec8, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 8 { store8(v, p); return }
        for j in 0..<max(count, 0) { p[j] = v[j] }
    }

    /// One tile of up to 6 rows and 16 columns. Rows past `rows` read row 0
    /// again (valid memory) and are not stored.
    @inline(__always)
    static func tile(rows: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int, columns: Int, accumulate: Bool) {
        let a0 = a
        let a1 = a + (rows > 1 ? lda : 0)
        let a2 = a + (rows > 2 ? 2 * lda : 0)
        let a3 = a + (rows > 3 ? 3 * lda : 0)
        let a4 = a + (rows > 4 ? 4 * lda : 0)
        let a5 = a + (rows > 5 ? 5 * lda : 0)
        var c00 = Vec8(), c01 = Vec8(), c10 = Vec8(), c11 = Vec8(), c20 = Vec8(), c21 = Vec8()
        var c30 = Vec8(), c31 = Vec8(), c40 = Vec8(), c41 = Vec8(), c50 = Vec8(), c51 = Vec8()
        let low = min(columns, 8), high = columns - 8
        if accumulate {
            c00 = loadColumns(c, low); c01 = loadColumns(c + 8, high)
            if rows > 1 { c10 = loadColumns(c + ldc, low); c11 = loadColumns(c + ldc + 8, high) }
            if rows > 2 { c20 = loadColumns(c + 2 * ldc, low); c21 = loadColumns(c + 2 * ldc + 8, high) }
            if rows > 3 { c30 = loadColumns(c + 3 * ldc, low); c31 = loadColumns(c + 3 * ldc + 8, high) }
            if rows > 4 { c40 = loadColumns(c + 4 * ldc, low); c41 = loadColumns(c + 4 * ldc + 8, high) }
            if rows > 5 { c50 = loadColumns(c + 5 * ldc, low); c51 = loadColumns(c + 5 * ldc + 8, high) }
        }
        var bp = b
        for kk in 0..<k {
            let b0 = load8(bp), b1 = load8(bp + 8)
            var x = Vec8(repeating: a0[kk]); c00.fmadd(x, b0); c01.fmadd(x, b1)
            x = Vec8(repeating: a1[kk]); c10.fmadd(x, b0); c11.fmadd(x, b1)
            x = Vec8(repeating: a2[kk]); c20.fmadd(x, b0); c21.fmadd(x, b1)
            x = Vec8(repeating: a3[kk]); c30.fmadd(x, b0); c31.fmadd(x, b1)
            x = Vec8(repeating: a4[kk]); c40.fmadd(x, b0); c41.fmadd(x, b1)
            x = Vec8(repeating: a5[kk]); c50.fmadd(x, b0); c51.fmadd(x, b1)
            bp += panelWidth
        }
        storeColumns(c00, c, low); storeColumns(c01, c + 8, high)
        if rows > 1 { storeColumns(c10, c + ldc, low); storeColumns(c11, c + ldc + 8, high) }
        if rows > 2 { storeColumns(c20, c + 2 * ldc, low); storeColumns(c21, c + 2 * ldc + 8, high) }
        if rows > 3 { storeColumns(c30, c + 3 * ldc, low); storeColumns(c31, c + 3 * ldc + 8, high) }
        if rows > 4 { storeColumns(c40, c + 4 * ldc, low); storeColumns(c41, c + 4 * ldc + 8, high) }
        if rows > 5 { storeColumns(c50, c + 5 * ldc, low); storeColumns(c51, c + 5 * ldc + 8, high) }
    }

    /// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < columns, in 8x8 blocks.
    public static func transpose(rows: Int, columns: Int, _ src: UnsafePointer<Float>, lds: Int,
                                 _ dst: UnsafeMutablePointer<Float>, ldd: Int) {
        var r0 = 0
        while r0 < rows {
            let r1 = min(r0 + 8, rows)
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + 8, columns)
                for r in r0..<r1 {
                    for c in c0..<c1 { dst[c * ldd + r] = src[r * lds + c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}
