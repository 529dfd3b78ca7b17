// C[m x n] = act(A[m x k] * B[k x n] + bias), the 1x1 convolution on NHWC
// activations (rows of A are pixels, no im2col). B is packed once at load into
// k x 16 column panels (a final k x 8 panel when n % 16 == 8) so the 6x16
// microkernel streams it with two 8-wide loads per k step.
//
// Every output element is accumulated in the same order (k = 0, 1, ...,
// starting from zero, bias added last) whichever kernel computes it, so any
// partition of the rows across threads gives bit-identical results.

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
                           activation: Activation, panels: Range<Int>? = nil) {
        let panels = panels ?? 0..<panelCount(n: n)
        var col = panels.lowerBound * panelWidth
        let end = min(panels.upperBound * panelWidth, n)
        while col < end {
            let width = min(panelWidth, n - col)
            let panel = packedB + col * k
            var row = 0
            while row + rowBlock <= m {
                if width == 16 {
                    kernel6x16(k: k, a: a + row * lda, lda: lda, b: panel, bias: bias + col,
                               c: c + row * ldc + col, ldc: ldc, activation: activation)
                } else {
                    kernel6x8(k: k, a: a + row * lda, lda: lda, b: panel, bias: bias + col,
                              c: c + row * ldc + col, ldc: ldc, activation: activation)
                }
                row += rowBlock
            }
            while row < m {
                if width == 16 {
                    kernel1x16(k: k, a: a + row * lda, b: panel, bias: bias + col,
                               c: c + row * ldc + col, activation: activation)
                } else {
                    kernel1x8(k: k, a: a + row * lda, b: panel, bias: bias + col,
                              c: c + row * ldc + col, activation: activation)
                }
                row += 1
            }
            col += width
        }
    }

    @inline(__always)
    static func kernel6x16(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                           bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                           activation: Activation) {
        var c00 = Vec8(), c01 = Vec8(), c10 = Vec8(), c11 = Vec8()
        var c20 = Vec8(), c21 = Vec8(), c30 = Vec8(), c31 = Vec8()
        var c40 = Vec8(), c41 = Vec8(), c50 = Vec8(), c51 = Vec8()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var bp = b
        for i in 0..<k {
            let b0 = load8(bp), b1 = load8(bp + 8)
            var x = Vec8(repeating: a0[i]); c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = Vec8(repeating: a1[i]); c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = Vec8(repeating: a2[i]); c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = Vec8(repeating: a3[i]); c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = Vec8(repeating: a4[i]); c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = Vec8(repeating: a5[i]); c50.addProduct(x, b0); c51.addProduct(x, b1)
            bp += 16
        }
        let bias0 = load8(bias), bias1 = load8(bias + 8)
        store8(finish(c00, bias0, activation), c); store8(finish(c01, bias1, activation), c + 8)
        var out = c + ldc
        store8(finish(c10, bias0, activation), out); store8(finish(c11, bias1, activation), out + 8)
        out += ldc
        store8(finish(c20, bias0, activation), out); store8(finish(c21, bias1, activation), out + 8)
        out += ldc
        store8(finish(c30, bias0, activation), out); store8(finish(c31, bias1, activation), out + 8)
        out += ldc
        store8(finish(c40, bias0, activation), out); store8(finish(c41, bias1, activation), out + 8)
        out += ldc
        store8(finish(c50, bias0, activation), out); store8(finish(c51, bias1, activation), out + 8)
    }

    @inline(__always)
    static func kernel6x8(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                          activation: Activation) {
        var c0 = Vec8(), c1 = Vec8(), c2 = Vec8(), c3 = Vec8(), c4 = Vec8(), c5 = Vec8()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var bp = b
        for i in 0..<k {
            let b0 = load8(bp)
            c0.addProduct(Vec8(repeating: a0[i]), b0)
            c1.addProduct(Vec8(repeating: a1[i]), b0)
            c2.addProduct(Vec8(repeating: a2[i]), b0)
            c3.addProduct(Vec8(repeating: a3[i]), b0)
            c4.addProduct(Vec8(repeating: a4[i]), b0)
            c5.addProduct(Vec8(repeating: a5[i]), b0)
            bp += 8
        }
        let bias0 = load8(bias)
        store8(finish(c0, bias0, activation), c)
        store8(finish(c1, bias0, activation), c + ldc)
        store8(finish(c2, bias0, activation), c + 2 * ldc)
        store8(finish(c3, bias0, activation), c + 3 * ldc)
        store8(finish(c4, bias0, activation), c + 4 * ldc)
        store8(finish(c5, bias0, activation), c + 5 * ldc)
    }

    @inline(__always)
    static func kernel1x16(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                           bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                           activation: Activation) {
        var c0 = Vec8(), c1 = Vec8()
        var bp = b
        for i in 0..<k {
            let x = Vec8(repeating: a[i])
            c0.addProduct(x, load8(bp)); c1.addProduct(x, load8(bp + 8))
            bp += 16
        }
        store8(finish(c0, load8(bias), activation), c)
        store8(finish(c1, load8(bias + 8), activation), c + 8)
    }

    @inline(__always)
    static func kernel1x8(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                          activation: Activation) {
        var c0 = Vec8()
        var bp = b
        for i in 0..<k {
            c0.addProduct(Vec8(repeating: a[i]), load8(bp))
            bp += 8
        }
        store8(finish(c0, load8(bias), activation), c)
    }
}
