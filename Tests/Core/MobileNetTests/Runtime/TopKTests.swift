import XCTest
@testable import MobileNet

/// Softmax.topK against a full sort by (value descending, index ascending).
final class TopKTests: XCTestCase {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
    }

    func reference(_ values: [Float], k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k))
    }

    enum Path: CaseIterable { case managed, scratch, selection }

    func topK(_ values: [Float], k: Int, path: Path) -> [(rank: Int, index: Int, value: Float)] {
        var out: [(Int, Int, Float)] = []
        values.withUnsafeBufferPointer { v in
            if path == .selection {
                Softmax.selectionTopK(v.baseAddress!, count: v.count, k: k) { out.append(($0, $1, $2)) }
            } else if path == .scratch {
                let heap = UnsafeMutablePointer<Int32>.allocate(capacity: max(k, 1))
                defer { heap.deallocate() }
                Softmax.topK(v.baseAddress!, count: v.count, k: k, scratch: heap) { out.append(($0, $1, $2)) }
            } else {
                Softmax.topK(v.baseAddress!, count: v.count, k: k) { out.append(($0, $1, $2)) }
            }
        }
        return out
    }

    func check(_ values: [Float], k: Int, _ what: String) {
        let expected = reference(values, k: k)
        for path in Path.allCases {
            let got = topK(values, k: k, path: path)
            XCTAssertEqual(got.map(\.rank), Array(0..<expected.count), "\(what): ranks in order")
            XCTAssertEqual(got.map(\.index), expected, "\(what), k \(k), \(path)")
            XCTAssertEqual(got.map(\.value), expected.map { values[$0] }, what)
        }
    }

    func testRandomInputs() {
        var g = Generator(state: 1)
        for n in [1, 2, 3, 7, 10, 100, 257, 1001] {  // 257: past the stack-allocated 256
            let values = (0..<n).map { _ in Float(g.next() % 1_000_000) / 1e6 }
            for k in Set([1, 2, 5, n / 2, n - 1, n]) where k >= 1 && k <= n { check(values, k: k, "random n \(n)") }
        }
    }

    func testTieHeavyInputs() {
        var g = Generator(state: 2)
        for n in [5, 64, 1000] {
            let few = (0..<n).map { _ in Float(g.next() % 3) }           // three distinct values
            let same = [Float](repeating: 0.25, count: n)                 // all equal
            let zeros = (0..<n).map { i in i % 10 == 0 ? Float(1) : 0 }   // mostly zeros
            for k in Set([1, 3, n / 3, n]) where k >= 1 {
                check(few, k: k, "three values n \(n)")
                check(same, k: k, "all equal n \(n)")
                check(zeros, k: k, "mostly zero n \(n)")
            }
        }
    }

    func testNaNRanksLast() {
        let values: [Float] = [.nan, 1, .nan, 2, 0]
        for path in Path.allCases {
            XCTAssertEqual(topK(values, k: 5, path: path).map(\.index), [3, 1, 4, 0, 2], "\(path)")
        }
    }

    /// A sanity bound, not a benchmark: 100,000 classes, k = 100,000 took
    /// 31.6 s before (quadratic); a heap takes milliseconds (release).
    func testAllOfOneHundredThousandClassesIsQuick() {
        var g = Generator(state: 3)
        let values = (0..<100_000).map { _ in Float(g.next() % 50_000) }  // ties too
        var indices = [Int](repeating: -1, count: values.count)
        let heap = UnsafeMutablePointer<Int32>.allocate(capacity: values.count)
        defer { heap.deallocate() }
        let start = ContinuousClock.now
        indices.withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { v in
                Softmax.topK(v.baseAddress!, count: v.count, k: v.count, scratch: heap) { rank, index, _ in
                    out[rank] = index
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        print("top-k of 100,000 classes, k = 100,000: \(elapsed)")
        // Generous (sanitizer builds are several times slower): the quadratic
        // version took 31.6 s in a release build.
        XCTAssertLessThan(elapsed, .seconds(10))
        XCTAssertEqual(indices, reference(values, k: values.count))
    }
}
