// C[m x n] = clamp(A[m x k] * B[k x n] + bias) for the AVX-512 tier. B is
// packed once at load into k x 32 column panels, zero-padded to 32 columns,
// so the 8x32 microkernel streams it with two zmm loads per k step; the real
// width of the last panel (8, 16 or 24) only masks the bias loads and the C
// stores.
//
// Why 8x32: 16 zmm accumulators hide the FMA latency of two 512-bit FMA
// pipes (4 cycles x 2 = 8 chains needed) with 10 loads per 16 FMAs; measured
// on an Intel Xeon (Sapphire Rapids class, 2 FMA-512 ports) at 86-118
// GFLOP/s on MobileNet's pointwise shapes, where the 6x16 ymm kernel of the
// avx2 tier tops out at 72. A 12x32 tile (24 accumulators) was no faster.
//
// Every output element is accumulated in one order (k = 0, 1, ..., from
// zero, bias added last) whichever kernel computes it, so any partition of
// rows or panels gives bit-identical results.

import _Builtin_intrinsics.intel
import MobileNetKernelInterface

typealias Vec16 = SIMD16<Float>

@_transparent
func load16(_ p: UnsafePointer<Float>) -> Vec16 { UnsafeRawPointer(p).loadUnaligned(as: Vec16.self) }

/// Lanes [0, count) of 16 (count 0...16) as a mask.
@inline(__always)
func laneMask(_ count: Int) -> __mmask16 { __mmask16(truncatingIfNeeded: (1 << max(0, min(count, 16))) - 1) }

/// SIMD16.clamped (SIMDHelpers: vmaxps / vminps on this tier), forced inline.
@_transparent
func clamped16(_ v: Vec16, _ clamp: Clamp) -> Vec16 { v.clamped(clamp) }

/// clamp(acc + bias) into 16 floats at `c`. Transparent (forced inline) like
/// the other epilogue helpers: with `@inline(__always)` the optimizer left
/// them as calls in the unrolled tiles (SIMD16 values passed as four xmm
/// pieces, accumulators spilled around each call).
@_transparent
func store16(_ acc: Vec16, _ bias: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ clamp: Clamp) {
    UnsafeMutableRawPointer(c).storeBytes(of: clamped16(acc + load16(bias), clamp), as: Vec16.self)
}

/// The bias and store masks of one panel of `width` (8...32) real columns.
/// (Full panels stored without masks measured the same on Zen 4.)
struct PanelColumns {
    let mask0: __mmask16
    let mask1: __mmask16
    let bias0: Vec16
    let bias1: Vec16

    @inline(__always)
    init(width: Int, bias: UnsafePointer<Float>) {
        mask0 = laneMask(width)
        mask1 = laneMask(width - 16)
        bias0 = _mm512_maskz_loadu_ps(mask0, bias)
        bias1 = _mm512_maskz_loadu_ps(mask1, bias + 16)
    }

    @_transparent
    func store(_ acc0: Vec16, _ acc1: Vec16, _ c: UnsafeMutablePointer<Float>, _ clamp: Clamp) {
        _mm512_mask_storeu_ps(c, mask0, clamped16(acc0 + bias0, clamp))
        if mask1 != 0 { _mm512_mask_storeu_ps(c + 16, mask1, clamped16(acc1 + bias1, clamp)) }
    }
}

public enum GEMM8x32 {
    public static let rowBlock = 8
    static let panelWidth = 32

    public static func panelCount(n: Int) -> Int { (n + panelWidth - 1) / panelWidth }

    /// Floats of a packed k x n matrix: every panel 32 columns wide.
    public static func packedCount(k: Int, n: Int) -> Int { k * panelCount(n: n) * panelWidth }

    /// Packs row `row` of a k x n matrix into `packed` (zeroed beforehand, so
    /// the last panel's padding columns stay zero).
    public static func packRow(_ values: UnsafePointer<Float>, row: Int, k: Int, n: Int,
                               into packed: UnsafeMutablePointer<Float>) {
        var col = 0
        while col < n {
            let width = min(panelWidth, n - col)
            let dst = packed + col * k + row * panelWidth
            for j in 0..<width { dst[j] = values[col + j] }
            col += panelWidth
        }
    }

    public static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                           packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                           c: UnsafeMutablePointer<Float>, ldc: Int, clamp: Clamp, panels: Range<Int>? = nil) {
        let panels = panels ?? 0..<panelCount(n: n)
        let singleLeftover = m % rowBlock == 1
        // Groups of four panels: a single leftover row (the logits' only row,
        // the 49th of a 7x7 layer) is done right after the group's row blocks,
        // while its panels are still in cache.
        var group = panels.lowerBound
        while group < panels.upperBound {
            let groupEnd = min(group + 4, panels.upperBound)
            // Row blocks outside, the group's panels inside: each block of A
            // (8 rows x k) is read from memory once and reused from L1 for
            // the four panels, which stream from L2.
            let rows = singleLeftover ? m - 1 : m  // a multiple of 8, or with 2-7 leftover rows
            var row = 0
            while row < rows {
                let count = min(rowBlock, rows - row)
                for panel in group..<groupEnd {
                    let col = panel * panelWidth
                    let columns = PanelColumns(width: min(panelWidth, n - col), bias: bias + col)
                    if count == 1 {
                        singlePanelRow(k: k, a: a + row * lda, b: packedB + col * k, columns: columns,
                                       c: c + row * ldc + col, clamp: clamp)
                    } else {
                        kernel8x32(rows: count, k: k, a: a + row * lda, lda: lda, b: packedB + col * k,
                                   columns: columns, c: c + row * ldc + col, ldc: ldc, clamp: clamp)
                    }
                }
                row += count
            }
            if singleLeftover {
                singleRow(k: k, n: n, a: a + (m - 1) * lda, packedB: packedB, bias: bias, c: c + (m - 1) * ldc,
                          clamp: clamp, panels: group..<groupEnd)
            }
            group = groupEnd
        }
    }

    /// Row `a` of C in `panels`: four panels at a time (eight FMA chains), then one.
    static func singleRow(k: Int, n: Int, a: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, clamp: Clamp,
                          panels: Range<Int>) {
        var panel = panels.lowerBound
        while panel + 4 <= panels.upperBound, n - panel * panelWidth >= 4 * panelWidth {
            let col = panel * panelWidth
            kernel1x128(k: k, a: a, b: packedB + col * k, bias: bias + col, c: c + col, clamp: clamp)
            panel += 4
        }
        while panel < panels.upperBound {
            let col = panel * panelWidth
            singlePanelRow(k: k, a: a, b: packedB + col * k,
                           columns: PanelColumns(width: min(panelWidth, n - col), bias: bias + col),
                           c: c + col, clamp: clamp)
            panel += 1
        }
    }

    @inline(__always)
    static func kernel8x32(rows: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                           columns: PanelColumns, c: UnsafeMutablePointer<Float>, ldc: Int, clamp: Clamp) {
        var c00 = Vec16(), c01 = Vec16(), c10 = Vec16(), c11 = Vec16()
        var c20 = Vec16(), c21 = Vec16(), c30 = Vec16(), c31 = Vec16()
        var c40 = Vec16(), c41 = Vec16(), c50 = Vec16(), c51 = Vec16()
        var c60 = Vec16(), c61 = Vec16(), c70 = Vec16(), c71 = Vec16()
        // Rows past `rows` (2...8) read the last real row again.
        // (Swift.min stayed a call here, eight per tile.)
        let last = rows - 1
        var a0 = a, a1 = a + (last < 1 ? last : 1) * lda, a2 = a + (last < 2 ? last : 2) * lda
        var a3 = a + (last < 3 ? last : 3) * lda, a4 = a + (last < 4 ? last : 4) * lda
        var a5 = a + (last < 5 ? last : 5) * lda, a6 = a + (last < 6 ? last : 6) * lda
        var a7 = a + (last < 7 ? last : 7) * lda
        var bp = b
        // One k step: 2 panel loads, 8 broadcasts, 16 FMAs; `j` is a constant
        // offset, so an unrolled group addresses A by displacement alone.
        @inline(__always) func step(_ j: Int) {
            let b0 = load16(bp + 32 * j), b1 = load16(bp + 32 * j + 16)
            var x = Vec16(repeating: a0[j]); c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = Vec16(repeating: a1[j]); c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = Vec16(repeating: a2[j]); c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = Vec16(repeating: a3[j]); c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = Vec16(repeating: a4[j]); c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = Vec16(repeating: a5[j]); c50.addProduct(x, b0); c51.addProduct(x, b1)
            x = Vec16(repeating: a6[j]); c60.addProduct(x, b0); c61.addProduct(x, b1)
            x = Vec16(repeating: a7[j]); c70.addProduct(x, b0); c71.addProduct(x, b1)
        }
        @inline(__always) func advance(_ steps: Int) {
            bp += 32 * steps
            a0 += steps; a1 += steps; a2 += steps; a3 += steps; a4 += steps; a5 += steps; a6 += steps; a7 += steps
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
        columns.store(c00, c01, c, clamp)
        columns.store(c10, c11, c + ldc, clamp)
        if rows > 2 { columns.store(c20, c21, c + 2 * ldc, clamp) }
        if rows > 3 { columns.store(c30, c31, c + 3 * ldc, clamp) }
        if rows > 4 { columns.store(c40, c41, c + 4 * ldc, clamp) }
        if rows > 5 { columns.store(c50, c51, c + 5 * ldc, clamp) }
        if rows > 6 { columns.store(c60, c61, c + 6 * ldc, clamp) }
        if rows > 7 { columns.store(c70, c71, c + 7 * ldc, clamp) }
    }

    /// One row times four consecutive full panels (128 columns).
    @inline(__always)
    static func kernel1x128(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                            c: UnsafeMutablePointer<Float>, clamp: Clamp) {
        var c0 = Vec16(), c1 = Vec16(), c2 = Vec16(), c3 = Vec16(), c4 = Vec16(), c5 = Vec16(), c6 = Vec16(), c7 = Vec16()
        var p0 = b, p1 = b + 32 * k, p2 = b + 64 * k, p3 = b + 96 * k
        for i in 0..<k {
            let x = Vec16(repeating: a[i])
            c0.addProduct(x, load16(p0)); c1.addProduct(x, load16(p0 + 16))
            c2.addProduct(x, load16(p1)); c3.addProduct(x, load16(p1 + 16))
            c4.addProduct(x, load16(p2)); c5.addProduct(x, load16(p2 + 16))
            c6.addProduct(x, load16(p3)); c7.addProduct(x, load16(p3 + 16))
            p0 += 32; p1 += 32; p2 += 32; p3 += 32
        }
        store16(c0, bias, c, clamp); store16(c1, bias + 16, c + 16, clamp)
        store16(c2, bias + 32, c + 32, clamp); store16(c3, bias + 48, c + 48, clamp)
        store16(c4, bias + 64, c + 64, clamp); store16(c5, bias + 80, c + 80, clamp)
        store16(c6, bias + 96, c + 96, clamp); store16(c7, bias + 112, c + 112, clamp)
    }

    /// One row of one panel (two FMA chains).
    @inline(__always)
    static func singlePanelRow(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, columns: PanelColumns,
                               c: UnsafeMutablePointer<Float>, clamp: Clamp) {
        var c0 = Vec16(), c1 = Vec16()
        var bp = b
        for i in 0..<k {
            let x = Vec16(repeating: a[i])
            c0.addProduct(x, load16(bp)); c1.addProduct(x, load16(bp + 16))
            bp += 32
        }
        columns.store(c0, c1, c, clamp)
    }
}
