#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Index buffers for Softmax.topK above the stack size, kept for reuse so
/// that only the first classification at a top_k allocates (the
/// no-allocation-per-inference guarantee; tests/c/test_no_alloc.c). At most
/// `maxKept` are kept, about one per concurrent caller; 100,000 classes take
/// 400 KB each. Buffers come from malloc: on failure the caller falls back
/// to a selection that needs no memory.
enum IndexScratch {
    static let maxKept = 8

    private static let mutex = PThreadMutex()
    nonisolated(unsafe) private static var kept: [(pointer: UnsafeMutablePointer<Int32>, capacity: Int)] = {
        var kept: [(pointer: UnsafeMutablePointer<Int32>, capacity: Int)] = []
        kept.reserveCapacity(maxKept)  // give() then never grows the array
        return kept
    }()

    /// Calls `body` with room for `count` indices, or with nil if there is
    /// no memory for them.
    static func with<T>(count: Int, _ body: (UnsafeMutablePointer<Int32>?) -> T) -> T {
        let taken: (pointer: UnsafeMutablePointer<Int32>, capacity: Int)? = mutex.withLock {
            // The smallest kept buffer that is large enough.
            var best: Int?
            for (i, buffer) in kept.enumerated() where buffer.capacity >= count {
                if best == nil || buffer.capacity < kept[best!].capacity { best = i }
            }
            guard let best else { return nil }
            return kept.remove(at: best)
        }
        let buffer = taken ?? allocate(count)
        guard let buffer else { return body(nil) }
        defer { give(buffer) }
        return body(buffer.pointer)
    }

    private static func allocate(_ count: Int) -> (pointer: UnsafeMutablePointer<Int32>, capacity: Int)? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Int32>.stride)
        guard !overflow, let raw = malloc(max(bytes, 1)) else { return nil }
        return (raw.bindMemory(to: Int32.self, capacity: count), count)
    }

    private static func give(_ buffer: (pointer: UnsafeMutablePointer<Int32>, capacity: Int)) {
        let dropped: UnsafeMutablePointer<Int32>? = mutex.withLock {
            if kept.count < maxKept {
                kept.append(buffer)
                return nil
            }
            // Full: keep the larger one, so a large top_k stays served.
            guard let smallest = kept.indices.min(by: { kept[$0].capacity < kept[$1].capacity }),
                  kept[smallest].capacity < buffer.capacity else { return buffer.pointer }
            let old = kept[smallest].pointer
            kept[smallest] = buffer
            return old
        }
        free(dropped)
    }
}
