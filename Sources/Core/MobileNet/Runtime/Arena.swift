import MobileNetKernelInterface

/// Everything one inference at one input size needs, planned and allocated
/// once: the unfused and fused execution plans, one slab holding every
/// pass's output (at the planned offsets; the two plans share it), per-thread
/// scratch (im2col rows, fused depthwise tiles) and an image buffer for
/// preprocessing.
final class Arena {
    let height: Int
    let width: Int
    let singlePlan: ExecutionPlan
    let fusedPlan: ExecutionPlan
    let slab: AlignedBuffer
    let scratch: AlignedBuffer
    let scratchPerSlot: Int
    let image: AlignedBuffer
    /// What this arena holds, for the cache's byte budget.
    let bytes: Int

    init(layers: [any Operator], height: Int, width: Int, slots: Int) throws {
        self.height = height
        self.width = width
        singlePlan = ExecutionPlan(layers: layers, height: height, width: width, fuse: false)
        fusedPlan = ExecutionPlan(layers: layers, height: height, width: width, fuse: true)
        let floats = Arena.floats(singlePlan, fusedPlan, height: height, width: width, slots: slots)
        slab = try AlignedBuffer(count: floats.slab, zeroed: false)
        scratchPerSlot = floats.scratchPerSlot
        scratch = try AlignedBuffer(count: floats.scratchPerSlot * slots, zeroed: false)
        image = try AlignedBuffer(count: height * width * 3, zeroed: false)
        bytes = 4 * (floats.slab + floats.scratchPerSlot * slots + height * width * 3)
    }

    private static func floats(_ a: ExecutionPlan, _ b: ExecutionPlan, height: Int, width: Int,
                               slots: Int) -> (slab: Int, scratchPerSlot: Int) {
        (max(a.slabFloats, b.slabFloats), max(a.scratchPerSlot, b.scratchPerSlot))
    }

    /// Bytes an arena at this size would hold, without allocating it.
    static func bytes(layers: [any Operator], height: Int, width: Int, slots: Int) -> Int {
        let a = ExecutionPlan(layers: layers, height: height, width: width, fuse: false)
        let b = ExecutionPlan(layers: layers, height: height, width: width, fuse: true)
        let floats = Arena.floats(a, b, height: height, width: width, slots: slots)
        return 4 * (floats.slab + floats.scratchPerSlot * slots + height * width * 3)
    }

    func plan(fused: Bool) -> ExecutionPlan { fused ? fusedPlan : singlePlan }

    var scratchArea: Scratch { Scratch(base: scratch.pointer, perSlot: scratchPerSlot) }
}

/// Arenas kept for reuse, so that after the first inference at a size later
/// ones allocate nothing; concurrent callers each take their own. Bounded by
/// bytes, not count: it keeps the most recently used arenas while their sum
/// stays within `budgetBytes`, and frees an arena larger than the budget
/// after its call (eight 2048x2048 runs once left 3 GB resident).
final class ArenaCache {
    let budgetBytes: Int
    private let mutex = PThreadMutex()
    private var free: [Arena] = []  // least recently returned first
    private var cachedBytesLocked = 0

    init(budgetBytes: Int) { self.budgetBytes = budgetBytes }

    /// Bytes of the arenas kept now.
    var cachedBytes: Int { mutex.withLock { cachedBytesLocked } }
    var cachedCount: Int { mutex.withLock { free.count } }

    func take(height: Int, width: Int, make: () throws -> Arena) throws -> Arena {
        let cached: Arena? = mutex.withLock {
            guard let i = free.lastIndex(where: { $0.height == height && $0.width == width }) else { return nil }
            cachedBytesLocked -= free[i].bytes
            return free.remove(at: i)
        }
        return try cached ?? make()
    }

    func give(_ arena: Arena) {
        mutex.withLock {
            guard arena.bytes <= budgetBytes else { return }
            free.append(arena)
            cachedBytesLocked += arena.bytes
            while cachedBytesLocked > budgetBytes {
                cachedBytesLocked -= free.removeFirst().bytes
            }
        }
    }
}
