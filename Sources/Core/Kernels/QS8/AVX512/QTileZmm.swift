// R rows x P panels (16 columns each) of this tier's 8-bit GEMM on the
// shared pair layout (QGEMMPanels): one k-pair of a panel is 32 Int16s, one
// zmm load, and vpdpwssd (AVX512_VNNI) multiplies it by a broadcast
// (a(2i), a(2i+1)) and adds both products into 16 int32 lanes in one
// instruction: 32 multiply-adds, where the AVX2 tier's vpmaddwd + vpaddd on
// ymm do 16 in two. Exact (no saturation: |v|, |w| <= 255), so the bits
// equal every other tier's. At R = 6, P = 4: 24 accumulators, 4 panel
// vectors and a broadcast in the 32 zmm registers.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

/// Panels of a register tile, a type so the kernels specialise on it.
protocol ZPanelCount { static var panels: Int { get } }
enum ZPanels1: ZPanelCount { static var panels: Int { 1 } }
enum ZPanels2: ZPanelCount { static var panels: Int { 2 } }
enum ZPanels3: ZPanelCount { static var panels: Int { 3 } }
enum ZPanels4: ZPanelCount { static var panels: Int { 4 } }
enum Rows1: QRowCount { static var rows: Int { 1 } }

@inline(__always)
func broadcastPairZmm(_ p: UnsafePointer<Int16>) -> __m512i {
    _mm512_set1_epi32(UnsafeRawPointer(p).loadUnaligned(as: Int32.self))
}

@inline(__always)
func dot(_ acc: inout __m512i, _ a: __m512i, _ b: __m512i) { acc = _mm512_dpwssd_epi32(acc, a, b) }

enum QTileZmm<R: QRowCount, P: ZPanelCount> {
    /// Rows [0, rows) (1...R) of columns [channel, channel + 16 P); spare rows
    /// repeat the last real row and are not stored. `b` is the first panel,
    /// the others follow 16 k Int16s apart.
    @inline(__always)
    static func run(rows: Int, k: Int, a: UnsafePointer<Int16>, lda: Int, b: UnsafePointer<Int16>,
                    r: Requantization, channel: Int, c: UnsafeMutablePointer<Int16>, ldc: Int) {
        let zero = _mm512_setzero_si512()
        var c00 = zero, c01 = zero, c02 = zero, c03 = zero
        var c10 = zero, c11 = zero, c12 = zero, c13 = zero
        var c20 = zero, c21 = zero, c22 = zero, c23 = zero
        var c30 = zero, c31 = zero, c32 = zero, c33 = zero
        var c40 = zero, c41 = zero, c42 = zero, c43 = zero
        var c50 = zero, c51 = zero, c52 = zero, c53 = zero
        var a0 = a
        var a1 = a + min(1, rows - 1) * lda
        var a2 = a + min(2, rows - 1) * lda
        var a3 = a + min(3, rows - 1) * lda
        var a4 = a + min(4, rows - 1) * lda
        var a5 = a + min(5, rows - 1) * lda
        var b0 = b + 0 * k, b1 = b + 16 * k, b2 = b + 32 * k, b3 = b + 48 * k
        @inline(__always) func step(_ j: Int) {
            let w0 = loadZmm(b0 + 32 * j)
            let w1 = P.panels > 1 ? loadZmm(b1 + 32 * j) : zero
            let w2 = P.panels > 2 ? loadZmm(b2 + 32 * j) : zero
            let w3 = P.panels > 3 ? loadZmm(b3 + 32 * j) : zero
            let x0 = broadcastPairZmm(a0 + 2 * j)
            dot(&c00, x0, w0)
            if P.panels > 1 { dot(&c01, x0, w1) }
            if P.panels > 2 { dot(&c02, x0, w2) }
            if P.panels > 3 { dot(&c03, x0, w3) }
            if R.rows > 1 {
                let x1 = broadcastPairZmm(a1 + 2 * j)
                dot(&c10, x1, w0)
                if P.panels > 1 { dot(&c11, x1, w1) }
                if P.panels > 2 { dot(&c12, x1, w2) }
                if P.panels > 3 { dot(&c13, x1, w3) }
            }
            if R.rows > 2 {
                let x2 = broadcastPairZmm(a2 + 2 * j)
                dot(&c20, x2, w0)
                if P.panels > 1 { dot(&c21, x2, w1) }
                if P.panels > 2 { dot(&c22, x2, w2) }
                if P.panels > 3 { dot(&c23, x2, w3) }
            }
            if R.rows > 3 {
                let x3 = broadcastPairZmm(a3 + 2 * j)
                dot(&c30, x3, w0)
                if P.panels > 1 { dot(&c31, x3, w1) }
                if P.panels > 2 { dot(&c32, x3, w2) }
                if P.panels > 3 { dot(&c33, x3, w3) }
            }
            if R.rows > 4 {
                let x4 = broadcastPairZmm(a4 + 2 * j)
                dot(&c40, x4, w0)
                if P.panels > 1 { dot(&c41, x4, w1) }
                if P.panels > 2 { dot(&c42, x4, w2) }
                if P.panels > 3 { dot(&c43, x4, w3) }
            }
            if R.rows > 5 {
                let x5 = broadcastPairZmm(a5 + 2 * j)
                dot(&c50, x5, w0)
                if P.panels > 1 { dot(&c51, x5, w1) }
                if P.panels > 2 { dot(&c52, x5, w2) }
                if P.panels > 3 { dot(&c53, x5, w3) }
            }
        }
        // k is a multiple of 8: four pairs per iteration, no remainder.
        var i = 0
        while i < k {
            step(0); step(1); step(2); step(3)
            b0 += 128; b1 += 128; b2 += 128; b3 += 128
            a0 += 8; a1 += 8; a2 += 8; a3 += 8; a4 += 8; a5 += 8
            i += 8
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
