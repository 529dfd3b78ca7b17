// C[m x n] = clamp(A[m x k] * B[k x n] + bias), the 1x1 convolution on NHWC
// activations (rows of A are pixels, no im2col). B is packed once at load into
// k x 16 column panels (a final k x 8 panel when n % 16 == 8) so the 6x16
// microkernel streams it with two 8-wide loads per k step.
//
// Every output element is accumulated in the same order (k = 0, 1, ...,
// starting from zero, bias added last) whichever kernel computes it, so any
// partition of the rows across threads gives bit-identical results.

import MobileNetKernelInterface

public enum PointwiseGEMM {
    public static let rowBlock = 6
    static let panelWidth = 16

    /// Floats needed to pack a k x n matrix (n a multiple of 8).
    public static func packedCount(k: Int, n: Int) -> Int { k * n }

    /// Packs row-major `b` (k x n, row stride n, n a multiple of 8) into panels.
    public static func packB(_ b: UnsafePointer<Float>, k: Int, n: Int,
                             into packed: UnsafeMutablePointer<Float>) {
        var dst = packed
        var col = 0
        while col < n {
            let width = min(panelWidth, n - col)
            for row in 0..<k {
                let src = b + row * n + col
                for j in 0..<width { dst[j] = src[j] }
                dst += width
            }
            col += width
        }
    }

    /// Column panels of an n-column matrix: each is 16 columns but the last
    /// (8 when n % 16 == 8).
    public static func panelCount(n: Int) -> Int { (n + panelWidth - 1) / panelWidth }

    /// Packs row `row` of a k x n matrix (n floats at `values`, n a multiple
    /// of 8) into `packed`: lets a loader stream a large matrix row by row
    /// instead of holding a second dense copy.
    public static func packRow(_ values: UnsafePointer<Float>, row: Int, k: Int, n: Int,
                               into packed: UnsafeMutablePointer<Float>) {
        var col = 0
        while col < n {
            let width = min(panelWidth, n - col)
            let dst = packed + col * k + row * width
            for j in 0..<width { dst[j] = values[col + j] }
            col += width
        }
    }

    /// Computes rows [0, m) of C, in the column panels `panels` (default all).
    /// `packedB` comes from `packB` with the same k, n.
    public static func run(m: Int, k: Int, n: Int,
                           a: UnsafePointer<Float>, lda: Int,
                           packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, ldc: Int,
                           clamp: Clamp, panels: Range<Int>? = nil) {
        let panels = panels ?? 0..<panelCount(n: n)
        let end = min(panels.upperBound * panelWidth, n)
        let singleLeftover = m % rowBlock == 1
        // Groups of four panels: a single leftover row (the logits' only row,
        // the 49th of a 7x7 layer) is done four panels at a time right after
        // their row blocks, while those panels are still in cache. Row blocks
        // outside the group's panels: each block of A (6 rows x k) is read
        // from memory once and reused from L1 for the four panels.
        let rows = singleLeftover ? m - 1 : m
        var group = panels.lowerBound * panelWidth
        while group < end {
            let groupEnd = min(group + 4 * panelWidth, end)
            var row = 0
            while row < rows {
                let count = min(rowBlock, rows - row)
                var col = group
                while col < groupEnd {
                    blocks(m: count, k: k, width: min(panelWidth, n - col), a: a + row * lda, lda: lda,
                           panel: packedB + col * k, bias: bias + col, c: c + row * ldc + col, ldc: ldc,
                           clamp: clamp)
                    col += panelWidth
                }
                row += count
            }
            if singleLeftover {
                singleRow(k: k, n: n, a: a + (m - 1) * lda, packedB: packedB, bias: bias, c: c + (m - 1) * ldc,
                          clamp: clamp, from: group, to: groupEnd)
            }
            group = groupEnd
        }
    }

    /// Rows [0, m) of one panel (16 or 8 columns wide) in 6-row blocks.
    @inline(__always)
    static func blocks(m: Int, k: Int, width: Int, a: UnsafePointer<Float>, lda: Int, panel: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                       clamp: Clamp) {
        var row = 0
        while row + rowBlock <= m {
            if width == 16 {
                kernel6x16(rows: rowBlock, k: k, a: a + row * lda, lda: lda, b: panel, bias: bias,
                           c: c + row * ldc, ldc: ldc, clamp: clamp)
            } else {
                kernel6x8(rows: rowBlock, k: k, a: a + row * lda, lda: lda, b: panel, bias: bias,
                          c: c + row * ldc, ldc: ldc, clamp: clamp)
            }
            row += rowBlock
        }
        // 2-5 leftover rows: the 6-row kernel at full FMA rate (its spare rows
        // repeat the last real one and are not stored) beats 1-row kernels,
        // whose two accumulators wait on FMA latency.
        if m - row >= 2 {
            if width == 16 {
                kernel6x16(rows: m - row, k: k, a: a + row * lda, lda: lda, b: panel, bias: bias,
                           c: c + row * ldc, ldc: ldc, clamp: clamp)
            } else {
                kernel6x8(rows: m - row, k: k, a: a + row * lda, lda: lda, b: panel, bias: bias,
                          c: c + row * ldc, ldc: ldc, clamp: clamp)
            }
        }
    }

    /// Row `a` of C in columns [from, to): four 16-column panels at a time
    /// (eight independent FMA chains, so not bound by FMA latency), then one.
    static func singleRow(k: Int, n: Int, a: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                          clamp: Clamp, from: Int, to end: Int) {
        var col = from
        while col + 4 * panelWidth <= end, n - col >= 4 * panelWidth {
            kernel1x64(k: k, a: a, b: packedB + col * k, bias: bias + col, c: c + col, clamp: clamp)
            col += 4 * panelWidth
        }
        while col < end {
            let width = min(panelWidth, n - col)
            if width == 16 {
                kernel1x16(k: k, a: a, b: packedB + col * k, bias: bias + col, c: c + col, clamp: clamp)
            } else {
                kernel1x8(k: k, a: a, b: packedB + col * k, bias: bias + col, c: c + col, clamp: clamp)
            }
            col += width
        }
    }

    @inline(__always)
    static func kernel6x16(rows: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                           bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                           clamp: Clamp) {
        var c00 = Vec8(), c01 = Vec8(), c10 = Vec8(), c11 = Vec8()
        var c20 = Vec8(), c21 = Vec8(), c30 = Vec8(), c31 = Vec8()
        var c40 = Vec8(), c41 = Vec8(), c50 = Vec8(), c51 = Vec8()
        // Rows past `rows` (2...6) read the last real row again.
        var a0 = a, a1 = a + min(1, rows - 1) * lda, a2 = a + min(2, rows - 1) * lda
        var a3 = a + min(3, rows - 1) * lda, a4 = a + min(4, rows - 1) * lda, a5 = a + min(5, rows - 1) * lda
        var bp = b
        // One k step: 2 panel loads, 6 broadcasts, 12 FMAs. `j` is a constant
        // offset, so an unrolled group addresses A by displacement alone.
        @inline(__always) func step(_ j: Int) {
            let b0 = load8(bp + 16 * j), b1 = load8(bp + 16 * j + 8)
            var x = Vec8(repeating: a0[j]); c00.fmadd(x, b0); c01.fmadd(x, b1)
            x = Vec8(repeating: a1[j]); c10.fmadd(x, b0); c11.fmadd(x, b1)
            x = Vec8(repeating: a2[j]); c20.fmadd(x, b0); c21.fmadd(x, b1)
            x = Vec8(repeating: a3[j]); c30.fmadd(x, b0); c31.fmadd(x, b1)
            x = Vec8(repeating: a4[j]); c40.fmadd(x, b0); c41.fmadd(x, b1)
            x = Vec8(repeating: a5[j]); c50.fmadd(x, b0); c51.fmadd(x, b1)
        }
        @inline(__always) func advance(_ steps: Int) {
            bp += 16 * steps
            a0 += steps; a1 += steps; a2 += steps; a3 += steps; a4 += steps; a5 += steps
        }
        // Unrolled by 4 (still k = 0, 1, 2, ... in order): a quarter of the
        // pointer updates and loop branches per FMA.
        var i = 0
        while i + 4 <= k {
            step(0); step(1); step(2); step(3)
            advance(4)
            i += 4
        }
        while i < k {
            step(0)
            advance(1)
            i += 1
        }
        let bias0 = load8(bias), bias1 = load8(bias + 8)
        store8(finish(c00, bias0, clamp), c); store8(finish(c01, bias1, clamp), c + 8)
        store8(finish(c10, bias0, clamp), c + ldc); store8(finish(c11, bias1, clamp), c + ldc + 8)
        if rows > 2 {
            store8(finish(c20, bias0, clamp), c + 2 * ldc); store8(finish(c21, bias1, clamp), c + 2 * ldc + 8)
        }
        if rows > 3 {
            store8(finish(c30, bias0, clamp), c + 3 * ldc); store8(finish(c31, bias1, clamp), c + 3 * ldc + 8)
        }
        if rows > 4 {
            store8(finish(c40, bias0, clamp), c + 4 * ldc); store8(finish(c41, bias1, clamp), c + 4 * ldc + 8)
        }
        if rows > 5 {
            store8(finish(c50, bias0, clamp), c + 5 * ldc); store8(finish(c51, bias1, clamp), c + 5 * ldc + 8)
        }
    }

    @inline(__always)
    static func kernel6x8(rows: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                          clamp: Clamp) {
        var c0 = Vec8(), c1 = Vec8(), c2 = Vec8(), c3 = Vec8(), c4 = Vec8(), c5 = Vec8()
        // Rows past `rows` (2...6) read the last real row again.
        var a0 = a, a1 = a + min(1, rows - 1) * lda, a2 = a + min(2, rows - 1) * lda
        var a3 = a + min(3, rows - 1) * lda, a4 = a + min(4, rows - 1) * lda, a5 = a + min(5, rows - 1) * lda
        var bp = b
        @inline(__always) func step(_ j: Int) {
            let b0 = load8(bp + 8 * j)
            c0.fmadd(Vec8(repeating: a0[j]), b0)
            c1.fmadd(Vec8(repeating: a1[j]), b0)
            c2.fmadd(Vec8(repeating: a2[j]), b0)
            c3.fmadd(Vec8(repeating: a3[j]), b0)
            c4.fmadd(Vec8(repeating: a4[j]), b0)
            c5.fmadd(Vec8(repeating: a5[j]), b0)
        }
        @inline(__always) func advance(_ steps: Int) {
            bp += 8 * steps
            a0 += steps; a1 += steps; a2 += steps; a3 += steps; a4 += steps; a5 += steps
        }
        var i = 0
        while i + 4 <= k {
            step(0); step(1); step(2); step(3)
            advance(4)
            i += 4
        }
        while i < k {
            step(0)
            advance(1)
            i += 1
        }
        let bias0 = load8(bias)
        store8(finish(c0, bias0, clamp), c)
        store8(finish(c1, bias0, clamp), c + ldc)
        if rows > 2 { store8(finish(c2, bias0, clamp), c + 2 * ldc) }
        if rows > 3 { store8(finish(c3, bias0, clamp), c + 3 * ldc) }
        if rows > 4 { store8(finish(c4, bias0, clamp), c + 4 * ldc) }
        if rows > 5 { store8(finish(c5, bias0, clamp), c + 5 * ldc) }
    }

    /// One row times four consecutive full panels (64 columns).
    @inline(__always)
    static func kernel1x64(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                           bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                           clamp: Clamp) {
        var c0 = Vec8(), c1 = Vec8(), c2 = Vec8(), c3 = Vec8(), c4 = Vec8(), c5 = Vec8(), c6 = Vec8(), c7 = Vec8()
        var p0 = b, p1 = b + 16 * k, p2 = b + 32 * k, p3 = b + 48 * k
        for i in 0..<k {
            let x = Vec8(repeating: a[i])
            c0.fmadd(x, load8(p0)); c1.fmadd(x, load8(p0 + 8))
            c2.fmadd(x, load8(p1)); c3.fmadd(x, load8(p1 + 8))
            c4.fmadd(x, load8(p2)); c5.fmadd(x, load8(p2 + 8))
            c6.fmadd(x, load8(p3)); c7.fmadd(x, load8(p3 + 8))
            p0 += 16; p1 += 16; p2 += 16; p3 += 16
        }
        store8(finish(c0, load8(bias), clamp), c); store8(finish(c1, load8(bias + 8), clamp), c + 8)
        store8(finish(c2, load8(bias + 16), clamp), c + 16); store8(finish(c3, load8(bias + 24), clamp), c + 24)
        store8(finish(c4, load8(bias + 32), clamp), c + 32); store8(finish(c5, load8(bias + 40), clamp), c + 40)
        store8(finish(c6, load8(bias + 48), clamp), c + 48); store8(finish(c7, load8(bias + 56), clamp), c + 56)
    }

    @inline(__always)
    static func kernel1x16(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                           bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                           clamp: Clamp) {
        var c0 = Vec8(), c1 = Vec8()
        var bp = b
        for i in 0..<k {
            let x = Vec8(repeating: a[i])
            c0.fmadd(x, load8(bp)); c1.fmadd(x, load8(bp + 8))
            bp += 16
        }
        store8(finish(c0, load8(bias), clamp), c)
        store8(finish(c1, load8(bias + 8), clamp), c + 8)
    }

    @inline(__always)
    static func kernel1x8(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                          clamp: Clamp) {
        var c0 = Vec8()
        var bp = b
        for i in 0..<k {
            c0.fmadd(Vec8(repeating: a[i]), load8(bp))
            bp += 8
        }
        store8(finish(c0, load8(bias), clamp), c)
    }
}
