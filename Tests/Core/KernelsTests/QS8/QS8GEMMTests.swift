import XCTest
import MobileNetKernelInterface
import MobileNetQS8Generic

/// The 8-bit GEMM of every tier, bit for bit against a scalar reference.
final class QS8GEMMTests: XCTestCase {
    static let sentinel: Int16 = 0x7A7A

    struct Shape {
        var m: Int, k: Int, n: Int
        var lda: Int, ldc: Int
        var panels: Range<Int>?
    }

    /// Runs `shape` with random values from `range`; checks every element of C,
    /// including that nothing outside the requested rows, panels and columns changed.
    /// A's values come from `activations` (default `range`); `inputOffset` is passed to the packing
    /// (the byte kernels run when A + offset is 0...255 and the weights are signed bytes).
    func check(_ shape: Shape, values range: ClosedRange<Int>, activations: ClosedRange<Int>? = nil,
               inputOffset: Int32? = nil, mode: ScaleMode, seed: UInt64,
               _ kernels: any QS8Kernels, file: StaticString = #filePath, line: UInt = #line) {
        let (m, k, n, lda, ldc) = (shape.m, shape.k, shape.n, shape.lda, shape.ldc)
        var random = QRandom(state: seed)
        let a = random.int16s(max(m, 1) * lda, activations ?? range)
        let w = random.int16s(k * n, range)
        let params = QuantParameters(n: n, k: k, mode: mode, random: &random)
        let packed = qpack(w, k: k, n: n, inputOffset: inputOffset, kernels)
        var c = [Int16](repeating: Self.sentinel, count: max(m, 1) * ldc)
        var scratch = [UInt8](repeating: 0xA5, count: max(kernels.qgemmScratchBytes(m: m, k: k, n: n), 1))
        params.withRequantization { r in
            c.withUnsafeMutableBufferPointer { out in
                scratch.withUnsafeMutableBytes { scratch in
                    kernels.qgemm(m: m, k: k, n: n, a: a, lda: lda, packedB: packed, requantization: r,
                                  c: out.baseAddress!, ldc: ldc, panels: shape.panels, scratch: scratch.baseAddress)
                }
            }
        }
        let panels = shape.panels ?? 0..<kernels.qgemmPanelCount(n: n)
        let width = QGEMMPanels.panelWidth  // every tier packs 16-column panels
        let columns = min(panels.lowerBound * width, n)..<min(panels.upperBound * width, n)
        var mismatches = 0
        for i in 0..<max(m, 1) {
            for j in 0..<ldc {
                var want = Self.sentinel
                if i < m && columns.contains(j) {
                    var acc: Int32 = 0
                    for p in 0..<k { acc &+= Int32(a[i * lda + p]) * Int32(w[p * n + j]) }
                    want = params.output(acc, channel: j)
                }
                if c[i * ldc + j] != want {
                    if mismatches < 5 {
                        XCTFail("\(kernels.tier.name) m=\(m) k=\(k) n=\(n) \(mode) C[\(i), \(j)] = \(c[i * ldc + j]), want \(want)",
                                file: file, line: line)
                    }
                    mismatches += 1
                }
            }
        }
    }

    func testMatchesReferenceOnBlockRemainderAndStrideShapes() {
        // Row counts around 4- and 6-row blocks (and 0, 1), 8-wide last panels,
        // k = 8 and 1024, n up to 1008, strides past k and n.
        let shapes: [(Int, Int, Int)] = [(0, 8, 16), (1, 8, 8), (1, 1024, 1008), (2, 16, 24), (3, 32, 16), (4, 8, 8),
                                         (5, 64, 40), (6, 8, 1008), (7, 128, 136), (11, 24, 72), (13, 1024, 24),
                                         (25, 40, 56), (49, 512, 64), (97, 32, 64)]
        for kernels in testedQS8Kernels {
            for (index, (m, k, n)) in shapes.enumerated() {
                for (modeIndex, mode) in ScaleMode.allCases.enumerated() {
                    let seed = UInt64(index * 10 + modeIndex)
                    check(Shape(m: m, k: k, n: n, lda: k, ldc: n, panels: nil), values: -255...255, mode: mode,
                          seed: seed, kernels)
                    check(Shape(m: m, k: k, n: n, lda: k + 8 * (index % 3) + 3, ldc: n + 5, panels: nil),
                          values: -128...127, mode: mode, seed: seed + 1000, kernels)
                }
            }
        }
    }

    /// Activations as a layer stores them (q - zeroPoint for an int8 or uint8
    /// q) with the offset that makes them bytes, and signed-byte weights: the
    /// AVX-512 tier's vpdpbusd layout; weights of 128 or more and widths not a
    /// multiple of 16 fall back to its pair layout. Every tier, every case.
    /// n above 64 with m above 6 (several column groups) converts A once per call.
    func testByteInputsWithTheirOffset() {
        let shapes: [(Int, Int, Int)] = [(1, 8, 16), (1, 1024, 1008), (2, 40, 32), (5, 64, 48), (6, 8, 64),
                                         (7, 128, 128), (13, 1024, 16), (49, 512, 80), (112, 40, 32),
                                         (31, 48, 272)]
        for kernels in testedQS8Kernels {
            for (index, (m, k, n)) in shapes.enumerated() {
                for (zeroPoint, lowest) in [(-128, -128), (-1, -128), (127, -128), (0, 0), (131, 0), (255, 0)] {
                    let offset = zeroPoint - lowest
                    let activations = -offset...(255 - offset)
                    let seed = UInt64(index * 100 + offset)
                    check(Shape(m: m, k: k, n: n, lda: k + 8 * (index % 2), ldc: n + 3, panels: nil), values: -128...127,
                          activations: activations, inputOffset: Int32(offset), mode: .typical, seed: seed, kernels)
                    check(Shape(m: m, k: k, n: n, lda: k, ldc: n, panels: nil), values: -127...128,
                          activations: activations, inputOffset: Int32(offset), mode: .logUniform, seed: seed + 1, kernels)
                }
            }
            // The extremes: A + offset at 0 and 255, weights at -128 and 127.
            for (a, w) in [(-128...(-128), -128...(-128)), (127...127, 127...127), (-128...(-128), 127...127)] {
                for (m, k, n) in [(7, 1024, 64), (1, 8, 16)] {
                    check(Shape(m: m, k: k, n: n, lda: k, ldc: n, panels: nil), values: w, activations: a,
                          inputOffset: 128, mode: .typical, seed: 3, kernels)
                }
            }
        }
    }

    func testPanelSubsetsWriteOnlyTheirColumns() {
        for kernels in testedQS8Kernels {
            for (m, k, n) in [(9, 64, 56), (1, 32, 1008), (20, 16, 200), (6, 8, 24), (20, 16, 208)] {
                let count = kernels.qgemmPanelCount(n: n)
                for panels in [0..<1, (count - 1)..<count, (count / 2)..<count, 1..<max(1, count - 1), 0..<0] {
                    check(Shape(m: m, k: k, n: n, lda: k + 1, ldc: n + 3, panels: panels), values: -255...255,
                          mode: .typical, seed: UInt64(m + k + n + panels.lowerBound), kernels)
                    check(Shape(m: m, k: k, n: n, lda: k + 1, ldc: n + 3, panels: panels), values: -128...127,
                          activations: -5...250, inputOffset: 5, mode: .typical,
                          seed: UInt64(m + k + n + panels.lowerBound), kernels)
                }
            }
        }
    }

    /// The extreme products: every value at +-255 (the largest |sum| the contract allows per pair).
    func testExtremeValues() {
        for kernels in testedQS8Kernels {
            for (m, k, n) in [(7, 1024, 32), (1, 8, 8)] {
                for mode in ScaleMode.allCases {
                    check(Shape(m: m, k: k, n: n, lda: k, ldc: n, panels: nil), values: 255...255, mode: mode,
                          seed: 7, kernels)
                    check(Shape(m: m, k: k, n: n, lda: k, ldc: n, panels: nil), values: -255...(-255), mode: mode,
                          seed: 8, kernels)
                }
            }
        }
    }

    /// The vector output stages on chosen accumulators: A is zero, so each
    /// column's accumulator is its bias, and the biases are the edges of the
    /// stage's arithmetic: Int32.min / max, every right shift 0...31 (31 with
    /// high = Int32.min), and ties of the rounding division of both signs.
    func testOutputStageOnEdgeAccumulators() {
        var cases: [(x: Int32, m: Int32, s: Int32)] = []
        for s: Int32 in [-31, -30, -29, -17, -8, -2, -1, 0, 1, 3] {
            for m: Int32 in [Int32.max, Int32.max - 1, 1 << 30, (1 << 30) + 12_345, 1, 0] {
                for x: Int32 in [Int32.min, Int32.min + 1, Int32.max, Int32.max - 1, -1, 0, 1, -2, 2, 1 << 29] {
                    cases.append((x, m, s))
                }
            }
            // Multiplier 1/2: high = floor((x + 1) / 2), so x = 2h makes high = h; h = odd x 2^(r-1) is a tie.
            let right = -min(s, 0)
            guard right > 0 else { continue }
            for odd: Int64 in [1, 3, 5, -1, -3, -5] {
                let h = odd << (right - 1)
                if let x = Int32(exactly: 2 * h) { cases.append((x, 1 << 30, s)) }
            }
        }
        // All of them (the general stage), then those with right shifts only
        // (the stage that clamps the offset value: Requantization.rightShiftsOnly).
        for chosen in [cases, cases.filter { $0.s < 0 }] {
            let n = (chosen.count + 15) / 16 * 16, k = 8, m = 7
            for kernels in testedQS8Kernels {
                for (zeroPoint, lower, upper) in [(Int32(0), Int32(-128), Int32(127)), (-5, -5, 127), (100, 0, 255)] {
                    var random = QRandom(state: 11)
                    var params = QuantParameters(n: n, k: k, mode: .raw, random: &random)
                    for j in 0..<n {  // the padding columns keep their raw multipliers and shift right
                        let c = j < chosen.count ? chosen[j] : (x: params.bias[j], m: params.multiplier[j], s: -1)
                        params.bias[j] = c.x
                        params.multiplier[j] = c.m
                        params.shift[j] = c.s
                    }
                    (params.zeroPoint, params.lower, params.upper) = (zeroPoint, lower, upper)
                    let w = random.int16s(k * n, -128...127)
                    let a = [Int16](repeating: 0, count: m * k)
                    for inputOffset in [nil, Int32(128)] {
                        let packed = qpack(w, k: k, n: n, inputOffset: inputOffset, kernels)
                        var c = [Int16](repeating: Self.sentinel, count: m * n)
                        var scratch = [UInt8](repeating: 0, count: max(kernels.qgemmScratchBytes(m: m, k: k, n: n), 1))
                        params.withRequantization { r in
                            XCTAssertEqual(r.rightShiftsOnly, chosen.allSatisfy { $0.s < 0 })
                            c.withUnsafeMutableBufferPointer { out in
                                scratch.withUnsafeMutableBytes { scratch in
                                    kernels.qgemm(m: m, k: k, n: n, a: a, lda: k, packedB: packed, requantization: r,
                                                  c: out.baseAddress!, ldc: n, panels: nil, scratch: scratch.baseAddress)
                                }
                            }
                        }
                        var mismatches = 0
                        for i in 0..<m {
                            for j in 0..<n where c[i * n + j] != params.output(0, channel: j) {
                                if mismatches < 5 {
                                    XCTFail("\(kernels.tier.name) zero point \(zeroPoint) bias \(params.bias[j]) multiplier "
                                            + "\(params.multiplier[j]) shift \(params.shift[j]): \(c[i * n + j]), want "
                                            + "\(params.output(0, channel: j))")
                                }
                                mismatches += 1
                            }
                        }
                    }
                }
            }
        }
    }
}
