// The AVX-512 tier's packed B: a 64-byte header naming the layout, n Int32
// column corrections, then the matrix in one of two layouts:
//   pairs (QGEMMPanels, for vpdpwssd on the offset Int16 values), or
//   bytes, when vpdpbusd can run: the caller gave the input offset c (A's
//   v + c is a byte, 0...255), every weight is a signed byte and n is a
//   multiple of 16. Panels of 16 columns, and within a panel the rows in
//   quads, each column's four bytes adjacent:
//     panel p, quad i: [b(4i, j), ..., b(4i+3, j)] for the panel's 16 columns,
//   64 bytes, one zmm. The correction of column j is -c x sum_i b(i, j), so
//   sum (v + c) b + correction = sum v b exactly.
// 2018 uint8 files (weight offsets up to 255) and widths whose channel
// counts are odd multiples of 8 keep the pair layout.
import _Builtin_intrinsics.intel
import MobileNetKernelInterface

enum QGEMMBytes {
    static let headerInt16s = 32
    static let pairsTag: Int16 = 1
    static let bytesTag: Int16 = 2

    static func packedCount(k: Int, n: Int) -> Int { headerInt16s + 2 * n + k * n }

    static func corrections(_ packed: UnsafePointer<Int16>) -> UnsafePointer<Int32> {
        UnsafeRawPointer(packed + headerInt16s).assumingMemoryBound(to: Int32.self)
    }

    /// The input offset c of a bytes-layout matrix.
    static func inputOffset(_ packed: UnsafePointer<Int16>) -> Int32 {
        UnsafeRawPointer(packed + 2).loadUnaligned(as: Int32.self)
    }

    static func matrix(_ packed: UnsafePointer<Int16>, n: Int) -> UnsafePointer<Int16> { packed + headerInt16s + 2 * n }

    static func pack(_ weights: UnsafePointer<Int16>, k: Int, n: Int, inputOffset: Int32?,
                     into packed: UnsafeMutablePointer<Int16>) {
        packed.update(repeating: 0, count: packedCount(k: k, n: n))
        let matrix = packed + headerInt16s + 2 * n
        let bytesFit = (0...255).contains(inputOffset ?? -1) && n % 16 == 0
            && UnsafeBufferPointer(start: weights, count: k * n).allSatisfy { (-128...127).contains($0) }
        guard bytesFit, let offset = inputOffset else {
            packed[0] = pairsTag
            QGEMMPanels.pack(weights, k: k, n: n, into: matrix)
            return
        }
        packed[0] = bytesTag
        UnsafeMutableRawPointer(packed + 2).storeBytes(of: offset, as: Int32.self)
        let corrections = UnsafeMutableRawPointer(packed + headerInt16s).assumingMemoryBound(to: Int32.self)
        let bytes = UnsafeMutableRawPointer(matrix).assumingMemoryBound(to: Int8.self)
        for j in 0..<n {
            var sum: Int32 = 0
            for i in 0..<k { sum += Int32(weights[i * n + j]) }
            corrections[j] = -offset * sum
        }
        for i in 0..<k {
            for j in 0..<n {
                let panel = j / 16, column = j % 16
                bytes[panel * 16 * k + (i / 4) * 64 + column * 4 + i % 4] = Int8(truncatingIfNeeded: weights[i * n + j])
            }
        }
    }

    /// Rows [0, rows) of A as bytes v + offset, k apart, into `into`.
    @inline(__always)
    static func convert(rows: Int, k: Int, a: UnsafePointer<Int16>, lda: Int, offset: Int32,
                        into: UnsafeMutablePointer<UInt8>) {
        let wide = _mm512_set1_epi16(Int16(truncatingIfNeeded: offset))
        let narrow = _mm_set1_epi16(Int16(truncatingIfNeeded: offset))
        for row in 0..<rows {
            let source = a + row * lda, target = into + row * k
            var i = 0
            while i + 32 <= k {
                let v = _mm512_add_epi16(loadZmm(source + i), wide)
                UnsafeMutableRawPointer(target + i).storeBytes(of: _mm512_cvtepi16_epi8(v), as: __m256i.self)
                i += 32
            }
            while i < k {  // k is a multiple of 8
                let v = _mm_add_epi16(UnsafeRawPointer(source + i).loadUnaligned(as: __m128i.self), narrow)
                UnsafeMutableRawPointer(target + i).storeBytes(of: _mm_cvtsi128_si64(_mm_cvtepi16_epi8(v)),
                                                              as: Int64.self)
                i += 8
            }
        }
    }
}
