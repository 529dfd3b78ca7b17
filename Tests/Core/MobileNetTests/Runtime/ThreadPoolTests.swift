import XCTest
@testable import MobileNet

final class ThreadPoolTests: XCTestCase {
    /// Records, per part, how often it ran and on which slot.
    struct RecordingJob: PartRunner {
        let parts: Int
        let runs: UnsafeMutablePointer<Int>
        let slots: UnsafeMutablePointer<Int>
        func run(part: Int, slot: Int) {
            runs[part] += 1
            slots[part] = slot
        }
    }

    func testEveryPartRunsExactlyOnceOnAValidSlot() throws {
        for threads in [1, 2, 4] {
            let pool = try ThreadPool(threadCount: threads)
            for parts in [0, 1, 2, 7, 64, 1000] {
                var runs = [Int](repeating: 0, count: max(parts, 1))
                var slots = [Int](repeating: -1, count: max(parts, 1))
                runs.withUnsafeMutableBufferPointer { r in
                    slots.withUnsafeMutableBufferPointer { s in
                        pool.parallel(RecordingJob(parts: parts, runs: r.baseAddress!, slots: s.baseAddress!))
                    }
                }
                XCTAssertEqual(Array(runs.prefix(parts)), [Int](repeating: 1, count: parts), "\(threads) threads")
                XCTAssertTrue(slots.prefix(parts).allSatisfy { (0..<threads).contains($0) })
            }
        }
    }

    /// A part that starts another job on the same pool: it must run inline on
    /// the calling thread instead of deadlocking.
    struct NestingJob: PartRunner {
        let parts: Int
        let pool: ThreadPool
        let inner: UnsafeMutablePointer<Int>
        func run(part: Int, slot: Int) {
            pool.parallel(RecordingJob(parts: 4, runs: inner + 8 * part, slots: inner + 8 * part + 4))
        }
    }

    func testNestedJobsRunInline() throws {
        let pool = try ThreadPool(threadCount: 2)
        var inner = [Int](repeating: 0, count: 8 * 6)
        inner.withUnsafeMutableBufferPointer { pool.parallel(NestingJob(parts: 6, pool: pool, inner: $0.baseAddress!)) }
        for part in 0..<6 {
            XCTAssertEqual(Array(inner[(8 * part)..<(8 * part + 4)]), [1, 1, 1, 1])
            XCTAssertEqual(Array(inner[(8 * part + 4)..<(8 * part + 8)]), [0, 0, 0, 0], "inline parts run on slot 0")
        }
    }
}
