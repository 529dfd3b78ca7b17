// R rows x P panels (16 columns each) of the byte GEMM: vpdpbusd multiplies
// 4 unsigned bytes of A (v + c, see QGEMMBytes) by 4 signed bytes of a
// column and adds the 4 products to that column's int32 lane, 64
// multiply-adds per instruction (vpdpwssd's pairs: 32). The accumulators
// start at the column corrections -c x (column sum) plus the bias, so they
// end at the exact sum of v x w plus the bias. At R = 6, P = 4: 24 accumulators, 4 panel vectors
// and a broadcast in the 32 zmm registers.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

@inline(__always)
func broadcastQuad(_ p: UnsafePointer<UInt8>) -> __m512i {
    _mm512_set1_epi32(UnsafeRawPointer(p).loadUnaligned(as: Int32.self))
}

enum QTileBytes<R: QRowCount, P: ZPanelCount, S: QShiftKind> {
    /// Rows [0, rows) (1...R) of columns [channel, channel + 16 P) from `a`,
    /// rows of k bytes; `b` is the first panel (16 k bytes each), `corrections`
    /// the first column's. Spare rows repeat the last real row, not stored.
    @inline(__always)
    static func run(rows: Int, k: Int, a: UnsafePointer<UInt8>, b: UnsafePointer<Int8>,
                    corrections: UnsafePointer<Int32>, r: Requantization, channel: Int,
                    c: UnsafeMutablePointer<Int16>, ldc: Int) {
        let zero = _mm512_setzero_si512()
        // Corrections plus bias: the output stage then skips its bias add.
        @inline(__always) func start(_ j: Int) -> __m512i {
            _mm512_add_epi32(loadZmm(corrections + j), loadZmm(r.bias + channel + j))
        }
        let k0 = start(0)
        let k1 = P.panels > 1 ? start(16) : zero
        let k2 = P.panels > 2 ? start(32) : zero
        let k3 = P.panels > 3 ? start(48) : zero
        var c00 = k0, c01 = k1, c02 = k2, c03 = k3
        var c10 = k0, c11 = k1, c12 = k2, c13 = k3
        var c20 = k0, c21 = k1, c22 = k2, c23 = k3
        var c30 = k0, c31 = k1, c32 = k2, c33 = k3
        var c40 = k0, c41 = k1, c42 = k2, c43 = k3
        var c50 = k0, c51 = k1, c52 = k2, c53 = k3
        var a0 = a
        var a1 = a + min(1, rows - 1) * k
        var a2 = a + min(2, rows - 1) * k
        var a3 = a + min(3, rows - 1) * k
        var a4 = a + min(4, rows - 1) * k
        var a5 = a + min(5, rows - 1) * k
        var b0 = b + 0 * k, b1 = b + 16 * k, b2 = b + 32 * k, b3 = b + 48 * k
        @inline(__always) func step(_ j: Int) {
            let w0 = loadZmm(b0 + 64 * j)
            let w1 = P.panels > 1 ? loadZmm(b1 + 64 * j) : zero
            let w2 = P.panels > 2 ? loadZmm(b2 + 64 * j) : zero
            let w3 = P.panels > 3 ? loadZmm(b3 + 64 * j) : zero
            let x0 = broadcastQuad(a0 + 4 * j)
            c00 = _mm512_dpbusd_epi32(c00, x0, w0)
            if P.panels > 1 { c01 = _mm512_dpbusd_epi32(c01, x0, w1) }
            if P.panels > 2 { c02 = _mm512_dpbusd_epi32(c02, x0, w2) }
            if P.panels > 3 { c03 = _mm512_dpbusd_epi32(c03, x0, w3) }
            if R.rows > 1 {
                let x1 = broadcastQuad(a1 + 4 * j)
                c10 = _mm512_dpbusd_epi32(c10, x1, w0)
                if P.panels > 1 { c11 = _mm512_dpbusd_epi32(c11, x1, w1) }
                if P.panels > 2 { c12 = _mm512_dpbusd_epi32(c12, x1, w2) }
                if P.panels > 3 { c13 = _mm512_dpbusd_epi32(c13, x1, w3) }
            }
            if R.rows > 2 {
                let x2 = broadcastQuad(a2 + 4 * j)
                c20 = _mm512_dpbusd_epi32(c20, x2, w0)
                if P.panels > 1 { c21 = _mm512_dpbusd_epi32(c21, x2, w1) }
                if P.panels > 2 { c22 = _mm512_dpbusd_epi32(c22, x2, w2) }
                if P.panels > 3 { c23 = _mm512_dpbusd_epi32(c23, x2, w3) }
            }
            if R.rows > 3 {
                let x3 = broadcastQuad(a3 + 4 * j)
                c30 = _mm512_dpbusd_epi32(c30, x3, w0)
                if P.panels > 1 { c31 = _mm512_dpbusd_epi32(c31, x3, w1) }
                if P.panels > 2 { c32 = _mm512_dpbusd_epi32(c32, x3, w2) }
                if P.panels > 3 { c33 = _mm512_dpbusd_epi32(c33, x3, w3) }
            }
            if R.rows > 4 {
                let x4 = broadcastQuad(a4 + 4 * j)
                c40 = _mm512_dpbusd_epi32(c40, x4, w0)
                if P.panels > 1 { c41 = _mm512_dpbusd_epi32(c41, x4, w1) }
                if P.panels > 2 { c42 = _mm512_dpbusd_epi32(c42, x4, w2) }
                if P.panels > 3 { c43 = _mm512_dpbusd_epi32(c43, x4, w3) }
            }
            if R.rows > 5 {
                let x5 = broadcastQuad(a5 + 4 * j)
                c50 = _mm512_dpbusd_epi32(c50, x5, w0)
                if P.panels > 1 { c51 = _mm512_dpbusd_epi32(c51, x5, w1) }
                if P.panels > 2 { c52 = _mm512_dpbusd_epi32(c52, x5, w2) }
                if P.panels > 3 { c53 = _mm512_dpbusd_epi32(c53, x5, w3) }
            }
        }
        // k is a multiple of 8: two quads per iteration, no remainder.
        var i = 0
        while i < k {
            step(0); step(1)
            b0 += 128; b1 += 128; b2 += 128; b3 += 128
            a0 += 8; a1 += 8; a2 += 8; a3 += 8; a4 += 8; a5 += 8
            i += 8
        }
        @inline(__always) func requantizeZmm(_ acc: __m512i, _ s: ZmmStage) -> __m512i {
            requantizeBiasedZmm(acc, s, S.self)
        }
        do {
            let s = ZmmStage(r, channel: channel + 0)
            store16(requantizeZmm(c00, s), c + 0 * ldc + 0)
            if R.rows > 1 && rows > 1 { store16(requantizeZmm(c10, s), c + 1 * ldc + 0) }
            if R.rows > 2 && rows > 2 { store16(requantizeZmm(c20, s), c + 2 * ldc + 0) }
            if R.rows > 3 && rows > 3 { store16(requantizeZmm(c30, s), c + 3 * ldc + 0) }
            if R.rows > 4 && rows > 4 { store16(requantizeZmm(c40, s), c + 4 * ldc + 0) }
            if R.rows > 5 && rows > 5 { store16(requantizeZmm(c50, s), c + 5 * ldc + 0) }
        }
        if P.panels > 1 {
            let s = ZmmStage(r, channel: channel + 16)
            store16(requantizeZmm(c01, s), c + 0 * ldc + 16)
            if R.rows > 1 && rows > 1 { store16(requantizeZmm(c11, s), c + 1 * ldc + 16) }
            if R.rows > 2 && rows > 2 { store16(requantizeZmm(c21, s), c + 2 * ldc + 16) }
            if R.rows > 3 && rows > 3 { store16(requantizeZmm(c31, s), c + 3 * ldc + 16) }
            if R.rows > 4 && rows > 4 { store16(requantizeZmm(c41, s), c + 4 * ldc + 16) }
            if R.rows > 5 && rows > 5 { store16(requantizeZmm(c51, s), c + 5 * ldc + 16) }
        }
        if P.panels > 2 {
            let s = ZmmStage(r, channel: channel + 32)
            store16(requantizeZmm(c02, s), c + 0 * ldc + 32)
            if R.rows > 1 && rows > 1 { store16(requantizeZmm(c12, s), c + 1 * ldc + 32) }
            if R.rows > 2 && rows > 2 { store16(requantizeZmm(c22, s), c + 2 * ldc + 32) }
            if R.rows > 3 && rows > 3 { store16(requantizeZmm(c32, s), c + 3 * ldc + 32) }
            if R.rows > 4 && rows > 4 { store16(requantizeZmm(c42, s), c + 4 * ldc + 32) }
            if R.rows > 5 && rows > 5 { store16(requantizeZmm(c52, s), c + 5 * ldc + 32) }
        }
        if P.panels > 3 {
            let s = ZmmStage(r, channel: channel + 48)
            store16(requantizeZmm(c03, s), c + 0 * ldc + 48)
            if R.rows > 1 && rows > 1 { store16(requantizeZmm(c13, s), c + 1 * ldc + 48) }
            if R.rows > 2 && rows > 2 { store16(requantizeZmm(c23, s), c + 2 * ldc + 48) }
            if R.rows > 3 && rows > 3 { store16(requantizeZmm(c33, s), c + 3 * ldc + 48) }
            if R.rows > 4 && rows > 4 { store16(requantizeZmm(c43, s), c + 4 * ldc + 48) }
            if R.rows > 5 && rows > 5 { store16(requantizeZmm(c53, s), c + 5 * ldc + 48) }
        }
    }
}
