// The 8-bit GEMM of the AVX-512 tier: C = requantize(A B + bias) in 6-row x
// 64-column zmm tiles, on one of QGEMMBytes' layouts: bytes (vpdpbusd,
// QTileBytes; A's rows converted to bytes once per call, or once per row
// block when the call has one group, into the call's scratch) or pairs
// (vpdpwssd on the Int16 values, QTileZmm).
// Exact integers either way: the bits equal every other tier's.
//
// Loop order as the AVX2 tier's: groups of four panels; within a group,
// each block of rows goes through the group's panels at once while it is in
// L1. A single leftover row (the logits' only row, the 49th of a 7x7 layer)
// takes a 1-row tile; a last half-width panel (n % 16 == 8, only at widths
// below 1) the AVX2 tier's 8-column tile, compiled here.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

public enum QGEMMAVX512: TierQGEMM {
    public static var rowBlock: Int { Rows6.rows }

    static func packedCount(k: Int, n: Int) -> Int { QGEMMBytes.packedCount(k: k, n: n) }

    static func pack(_ weights: UnsafePointer<Int16>, k: Int, n: Int, inputOffset: Int32?,
                     into packed: UnsafeMutablePointer<Int16>) {
        QGEMMBytes.pack(weights, k: k, n: n, inputOffset: inputOffset, into: packed)
    }

    /// A's rows as bytes: all m of them when there are several groups of
    /// panels (n > 64), converted once per call instead of once per group
    /// (the conversion was 7.8% of an int8 inference, sampled on Zen 4:
    /// 8 of the 14 GEMMs have 8-16 groups); else one row block, kept in L1.
    static func scratchBytes(m: Int, k: Int, n: Int) -> Int {
        n > groupColumns ? max(m, Rows6.rows) * k : Rows6.rows * k
    }

    /// Columns of a group: four 16-column panels, each block of rows goes
    /// through them while it is in L1.
    static var groupColumns: Int { 4 * QGEMMPanels.panelWidth }

    static func run(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int, packedB: UnsafePointer<Int16>,
                    requantization r: Requantization, c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?,
                    scratch: UnsafeMutableRawPointer?) {
        let matrix = QGEMMBytes.matrix(packedB, n: n)
        if packedB[0] == QGEMMBytes.bytesTag {
            // The interface requires scratch whenever qgemmScratchBytes > 0.
            guard let scratch else { return }
            let bytes = UnsafeRawPointer(matrix).assumingMemoryBound(to: Int8.self)
            runBytes(m: m, k: k, n: n, a: a, lda: lda, packedB: bytes, corrections: QGEMMBytes.corrections(packedB),
                     offset: QGEMMBytes.inputOffset(packedB), requantization: r, c: c, ldc: ldc, panels: panels,
                     scratch: scratch.assumingMemoryBound(to: UInt8.self))
        } else {
            runPairs(m: m, k: k, n: n, a: a, lda: lda, packedB: matrix, requantization: r, c: c, ldc: ldc,
                     panels: panels)
        }
    }

    static func runPairs(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int,
                         packedB: UnsafePointer<Int16>, requantization r: Requantization,
                         c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?) {
        let width = QGEMMPanels.panelWidth
        let panels = panels ?? 0..<QGEMMPanels.panelCount(n: n)
        let end = min(panels.upperBound * width, n)
        var group = panels.lowerBound * width
        while group < end {
            let groupEnd = min(group + 4 * width, end)
            let full = (groupEnd - group) / width   // 16-column panels; a last 8 columns may follow
            let panel = packedB + group * k
            var row = 0
            while row < m {
                let ar = a + row * lda, out = c + row * ldc
                let count = m - row == 1 ? 1 : min(Rows6.rows, m - row)
                if count == 1 {
                    tile(Rows1.self, panels: full, rows: 1, k: k, a: ar, lda: lda, b: panel, r: r, channel: group,
                         c: out, ldc: ldc)
                } else {
                    tile(Rows6.self, panels: full, rows: count, k: k, a: ar, lda: lda, b: panel, r: r,
                         channel: group, c: out, ldc: ldc)
                }
                if group + full * width < groupEnd {
                    let col = group + full * width
                    var done = 0
                    while done < count {
                        let part = min(Rows4.rows, count - done)
                        QTile8<Rows4>.run(rows: part, k: k, a: ar + done * lda, lda: lda, b: packedB + col * k,
                                          r: r, channel: col, c: out + done * ldc + col, ldc: ldc)
                        done += part
                    }
                }
                row += count
            }
            group = groupEnd
        }
    }

    static func runBytes(m: Int, k: Int, n: Int, a: UnsafePointer<Int16>, lda: Int, packedB: UnsafePointer<Int8>,
                         corrections: UnsafePointer<Int32>, offset: Int32, requantization r: Requantization,
                         c: UnsafeMutablePointer<Int16>, ldc: Int, panels: Range<Int>?,
                         scratch: UnsafeMutablePointer<UInt8>) {
        let width = QGEMMPanels.panelWidth
        let panels = panels ?? 0..<QGEMMPanels.panelCount(n: n)
        let start = panels.lowerBound * width
        let end = min(panels.upperBound * width, n)  // n is a multiple of 16 in this layout
        // Several groups in this call (so n > groupColumns: scratch holds all m rows).
        let convertOnce = end - start > groupColumns
        if convertOnce {
            QGEMMBytes.convert(rows: m, k: k, a: a, lda: lda, offset: offset, into: scratch)
        }
        var group = start
        while group < end {
            let groupEnd = min(group + groupColumns, end)
            let full = (groupEnd - group) / width
            var row = 0
            while row < m {
                let count = m - row == 1 ? 1 : min(Rows6.rows, m - row)
                let rowBytes = convertOnce ? scratch + row * k : scratch
                if !convertOnce {
                    QGEMMBytes.convert(rows: count, k: k, a: a + row * lda, lda: lda, offset: offset, into: scratch)
                }
                let b = packedB + group * k, sums = corrections + group, out = c + row * ldc + group
                switch (count == 1, r.rightShiftsOnly) {
                case (true, false):
                    bytesTile(Rows1.self, AnyShifts.self, panels: full, rows: 1, k: k, a: rowBytes, b: b,
                              corrections: sums, r: r, channel: group, c: out, ldc: ldc)
                case (true, true):
                    bytesTile(Rows1.self, RightShiftsOnly.self, panels: full, rows: 1, k: k, a: rowBytes, b: b,
                              corrections: sums, r: r, channel: group, c: out, ldc: ldc)
                case (false, false):
                    bytesTile(Rows6.self, AnyShifts.self, panels: full, rows: count, k: k, a: rowBytes, b: b,
                              corrections: sums, r: r, channel: group, c: out, ldc: ldc)
                case (false, true):
                    bytesTile(Rows6.self, RightShiftsOnly.self, panels: full, rows: count, k: k, a: rowBytes,
                              b: b, corrections: sums, r: r, channel: group, c: out, ldc: ldc)
                }
                row += count
            }
            group = groupEnd
        }
    }

    @inline(__always)
    static func bytesTile<R: QRowCount, S: QShiftKind>(_: R.Type, _: S.Type, panels: Int, rows: Int, k: Int,
                                                       a: UnsafePointer<UInt8>, b: UnsafePointer<Int8>,
                                                       corrections: UnsafePointer<Int32>, r: Requantization,
                                                       channel: Int, c: UnsafeMutablePointer<Int16>, ldc: Int) {
        switch panels {
        case 4: QTileBytes<R, ZPanels4, S>.run(rows: rows, k: k, a: a, b: b, corrections: corrections, r: r,
                                            channel: channel, c: c, ldc: ldc)
        case 3: QTileBytes<R, ZPanels3, S>.run(rows: rows, k: k, a: a, b: b, corrections: corrections, r: r,
                                            channel: channel, c: c, ldc: ldc)
        case 2: QTileBytes<R, ZPanels2, S>.run(rows: rows, k: k, a: a, b: b, corrections: corrections, r: r,
                                            channel: channel, c: c, ldc: ldc)
        case 1: QTileBytes<R, ZPanels1, S>.run(rows: rows, k: k, a: a, b: b, corrections: corrections, r: r,
                                            channel: channel, c: c, ldc: ldc)
        default: break
        }
    }

    @inline(__always)
    static func tile<R: QRowCount>(_: R.Type, panels: Int, rows: Int, k: Int, a: UnsafePointer<Int16>, lda: Int,
                                   b: UnsafePointer<Int16>, r: Requantization, channel: Int,
                                   c: UnsafeMutablePointer<Int16>, ldc: Int) {
        let out = c + channel
        switch panels {
        case 4: QTileZmm<R, ZPanels4>.run(rows: rows, k: k, a: a, lda: lda, b: b, r: r, channel: channel, c: out, ldc: ldc)
        case 3: QTileZmm<R, ZPanels3>.run(rows: rows, k: k, a: a, lda: lda, b: b, r: r, channel: channel, c: out, ldc: ldc)
        case 2: QTileZmm<R, ZPanels2>.run(rows: rows, k: k, a: a, lda: lda, b: b, r: r, channel: channel, c: out, ldc: ldc)
        case 1: QTileZmm<R, ZPanels1>.run(rows: rows, k: k, a: a, lda: lda, b: b, r: r, channel: channel, c: out, ldc: ldc)
        default: break
        }
    }
}
