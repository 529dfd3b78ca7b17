// The packed B of the 8-bit GEMM, shared by every tier's kernel: column
// panels of 16 (a last panel of 8 when n % 16 == 8), and within a panel the
// rows in pairs, each column's two values adjacent:
//   panel p, pair i: [b(2i, j), b(2i+1, j)] for the panel's columns j.
// So 8 columns' pair is one 16-Int16 load that one vpmaddwd (AVX2; pmaddwd
// on SSE2) multiplies by a broadcast (a(2i), a(2i+1)): 8 int32 sums of two
// products. k is a multiple of 8, so pairs never straddle.
import MobileNetKernelInterface

public enum QGEMMPanels {
    public static let panelWidth = 16

    public static func packedCount(k: Int, n: Int) -> Int { k * n }

    public static func panelCount(n: Int) -> Int { (n + panelWidth - 1) / panelWidth }

    /// Packs row-major `weights` (k x n) into `packed` (k * n Int16s, all written).
    public static func pack(_ weights: UnsafePointer<Int16>, k: Int, n: Int,
                            into packed: UnsafeMutablePointer<Int16>) {
        var col = 0
        while col < n {
            let width = min(panelWidth, n - col)
            let panel = packed + col * k
            for row in 0..<k {
                let src = weights + row * n + col
                let dst = panel + (row >> 1) * 2 * width + (row & 1)
                for j in 0..<width { dst[2 * j] = src[j] }
            }
            col += width
        }
    }
}

/// A tier's 8-bit GEMM as QS8TierKernels calls it.
protocol TierQGEMM {
    static var rowBlock: Int { get }
    static func packedCount(k: Int, n: Int) -> Int
    static func pack(_ weights: UnsafePointer<Int16>, k: Int, n: Int, inputOffset: Int32?,
                     into packed: UnsafeMutablePointer<Int16>)
    static func scratchBytes(m: Int, k: Int, n: Int) -> Int
    static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int, packedB: UnsafePointer<Int16>,
                    requantization: Requantization, c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?,
                    scratch: UnsafeMutableRawPointer?)
}

/// The GEMMs on the pair layout alone (generic and AVX2 tiers): no input
/// offset, no scratch.
protocol PairLayoutQGEMM: TierQGEMM {
    static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int, packedB: UnsafePointer<Int16>,
                    requantization: Requantization, c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?)
}

extension PairLayoutQGEMM {
    static func packedCount(k: Int, n: Int) -> Int { QGEMMPanels.packedCount(k: k, n: n) }
    static func pack(_ weights: UnsafePointer<Int16>, k: Int, n: Int, inputOffset: Int32?,
                     into packed: UnsafeMutablePointer<Int16>) {
        QGEMMPanels.pack(weights, k: k, n: n, into: packed)
    }
    static func scratchBytes(m: Int, k: Int, n: Int) -> Int { 0 }
    @inline(__always)
    static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int, packedB: UnsafePointer<Int16>,
                    requantization: Requantization, c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?,
                    scratch: UnsafeMutableRawPointer?) {
        run(m: m, k: k, n: n, a: a, lda: lda, packedB: packedB, requantization: requantization, c: c, ldc: ldc,
            panels: panels)
    }
}
