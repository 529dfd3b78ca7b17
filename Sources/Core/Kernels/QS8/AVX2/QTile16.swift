// R rows x 16 columns of the AVX2 8-bit GEMM: 2R int32 accumulators (8 of
// 16 ymm at the tier's R = 4, with 2 panel vectors and a broadcast).
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

enum QTile16<R: QRowCount> {
    /// Rows [0, rows) (1...R); spare rows repeat the last real row and are not stored.
    @inline(__always)
    static func run(rows: Int, k: Int, a: UnsafePointer<Int16>, lda: Int, b: UnsafePointer<Int16>,
                    r: Requantization, channel: Int, c: UnsafeMutablePointer<Int16>, ldc: Int) {
        let zero = _mm256_setzero_si256()
        var c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero
        var c30 = zero, c31 = zero, c40 = zero, c41 = zero, c50 = zero, c51 = zero
        var a0 = a, a1 = a + min(1, rows - 1) * lda, a2 = a + min(2, rows - 1) * lda
        var a3 = a + min(3, rows - 1) * lda, a4 = a + min(4, rows - 1) * lda, a5 = a + min(5, rows - 1) * lda
        var bp = b
        @inline(__always) func step(_ j: Int) {
            let b0 = loadYmm(bp + 32 * j), b1 = loadYmm(bp + 32 * j + 16)
            var x = broadcastPair(a0 + 2 * j); madd(&c00, x, b0); madd(&c01, x, b1)
            x = broadcastPair(a1 + 2 * j); madd(&c10, x, b0); madd(&c11, x, b1)
            x = broadcastPair(a2 + 2 * j); madd(&c20, x, b0); madd(&c21, x, b1)
            x = broadcastPair(a3 + 2 * j); madd(&c30, x, b0); madd(&c31, x, b1)
            if R.rows > 4 {
                x = broadcastPair(a4 + 2 * j); madd(&c40, x, b0); madd(&c41, x, b1)
                x = broadcastPair(a5 + 2 * j); madd(&c50, x, b0); madd(&c51, x, b1)
            }
        }
        // k is a multiple of 8: four pairs per iteration, no remainder.
        var i = 0
        while i < k {
            step(0); step(1); step(2); step(3)
            bp += 128
            a0 += 8; a1 += 8; a2 += 8; a3 += 8; a4 += 8; a5 += 8
            i += 8
        }
        let s0 = YmmStage(r, channel: channel), s1 = YmmStage(r, channel: channel + 8)
        store16(requantizeYmm(c00, s0), requantizeYmm(c01, s1), c)
        if rows > 1 { store16(requantizeYmm(c10, s0), requantizeYmm(c11, s1), c + ldc) }
        if rows > 2 { store16(requantizeYmm(c20, s0), requantizeYmm(c21, s1), c + 2 * ldc) }
        if rows > 3 { store16(requantizeYmm(c30, s0), requantizeYmm(c31, s1), c + 3 * ldc) }
        if R.rows > 4 {
            if rows > 4 { store16(requantizeYmm(c40, s0), requantizeYmm(c41, s1), c + 4 * ldc) }
            if rows > 5 { store16(requantizeYmm(c50, s0), requantizeYmm(c51, s1), c + 5 * ldc) }
        }
    }
}

/// R rows x the 8 columns of a last, half-width panel.
enum QTile8<R: QRowCount> {
    @inline(__always)
    static func run(rows: Int, k: Int, a: UnsafePointer<Int16>, lda: Int, b: UnsafePointer<Int16>,
                    r: Requantization, channel: Int, c: UnsafeMutablePointer<Int16>, ldc: Int) {
        let zero = _mm256_setzero_si256()
        var c0 = zero, c1 = zero, c2 = zero, c3 = zero, c4 = zero, c5 = zero
        var a0 = a, a1 = a + min(1, rows - 1) * lda, a2 = a + min(2, rows - 1) * lda
        var a3 = a + min(3, rows - 1) * lda, a4 = a + min(4, rows - 1) * lda, a5 = a + min(5, rows - 1) * lda
        var bp = b
        @inline(__always) func step(_ j: Int) {
            let b0 = loadYmm(bp + 16 * j)
            madd(&c0, broadcastPair(a0 + 2 * j), b0)
            madd(&c1, broadcastPair(a1 + 2 * j), b0)
            madd(&c2, broadcastPair(a2 + 2 * j), b0)
            madd(&c3, broadcastPair(a3 + 2 * j), b0)
            if R.rows > 4 {
                madd(&c4, broadcastPair(a4 + 2 * j), b0)
                madd(&c5, broadcastPair(a5 + 2 * j), b0)
            }
        }
        var i = 0
        while i < k {
            step(0); step(1); step(2); step(3)
            bp += 64
            a0 += 8; a1 += 8; a2 += 8; a3 += 8; a4 += 8; a5 += 8
            i += 8
        }
        let s = YmmStage(r, channel: channel)
        store8(requantizeYmm(c0, s), c)
        if rows > 1 { store8(requantizeYmm(c1, s), c + ldc) }
        if rows > 2 { store8(requantizeYmm(c2, s), c + 2 * ldc) }
        if rows > 3 { store8(requantizeYmm(c3, s), c + 3 * ldc) }
        if R.rows > 4 {
            if rows > 4 { store8(requantizeYmm(c4, s), c + 4 * ldc) }
            if rows > 5 { store8(requantizeYmm(c5, s), c + 5 * ldc) }
        }
    }
}
