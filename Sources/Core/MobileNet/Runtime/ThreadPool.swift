import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A persistent pool of worker threads running one job at a time. A job is a
/// number of parts; each thread first claims parts from its own contiguous
/// share (the same share every layer, so a core mostly reads what it wrote),
/// then from the others' (so a core slowed by another process gets fewer).
/// Which thread runs a part never changes what
/// the part computes, so results are bit-identical whatever the thread count
/// or timing. If the pool is busy with another caller's job, the parts run
/// inline on the calling thread, so concurrent callers never wait for each
/// other or deadlock.
///
/// After fork() the child has none of the workers: a pool inherited that
/// way runs every job inline and, when freed, neither signals nor joins
/// threads that do not exist (which crashed children freeing a 4-thread
/// model). Pools created in the child start their own workers.
final class ThreadPool {
    let threadCount: Int
    private let state: PoolState
    private let dispatchLock = PThreadMutex(level: 0)
    private var threads: [pthread_t] = []
    /// ForkGuard.generation when the workers were started.
    private let generation = ForkGuard.generation.load(ordering: .acquiring)

    /// The CPUs this process may run on (affinity, cgroup quota; see
    /// AvailableCPUs): the default thread count.
    static var onlineCores: Int { AvailableCPUs.count() }

    /// Whether this pool came into a forked child from its parent.
    var isInheritedByFork: Bool { ForkGuard.generation.load(ordering: .relaxed) != generation }

    init(threadCount: Int) throws {
        self.threadCount = max(threadCount, 1)
        state = PoolState(threads: self.threadCount)
        for worker in 1..<self.threadCount {
            var thread = pthread_t()
            // Workers retain only the shared state, so the pool itself can be
            // released (and then joins them) while they wait.
            let context = Unmanaged.passRetained(WorkerContext(state: state, index: worker))
            let result = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
                context.state.workerLoop(index: context.index)
                return nil
            }, context.toOpaque())
            guard result == 0 else {
                context.release()
                stop()
                throw MobileNetError(.outOfMemory, "cannot start a worker thread (error \(result))")
            }
            threads.append(thread)
        }
    }

    deinit { stop() }

    private func stop() {
        if isInheritedByFork {
            // The workers (and their references to `state`) stayed in the
            // parent: the state is left allocated, nothing waits for them.
            threads.removeAll()
            return
        }
        state.requestShutdown()
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    /// Runs `job.run(part:slot:)` for every part in 0..<job.parts and returns
    /// when all are done. `slot` identifies the executing thread
    /// (0..<threadCount) for per-thread scratch memory.
    ///
    /// Jobs are structs, not closures: publishing a closure to the workers
    /// needs an escaping copy of it, which Swift boxes on the heap (one
    /// allocation per layer). A pointer to a job on this stack frame, wrapped
    /// in an existential small enough to be stored inline, allocates nothing.
    func parallel<Job: PartRunner>(_ job: Job) {
        let parts = job.parts
        if threadCount == 1 || parts <= 1 || isInheritedByFork || !dispatchLock.tryLock() {
            for part in 0..<parts { job.run(part: part, slot: 0) }
            return
        }
        defer { dispatchLock.unlock() }
        withUnsafePointer(to: job) { pointer in
            state.start(parts: parts, job: JobReference(pointer: pointer))
            state.claimParts(slot: 0)
            state.finish()
        }
    }
}

/// Work split into numbered parts for the pool.
protocol PartRunner {
    var parts: Int { get }
    func run(part: Int, slot: Int)
}

/// A job on the dispatching thread's stack, valid while the pool runs it.
private struct JobReference<Job: PartRunner>: PartRunner {
    let pointer: UnsafePointer<Job>
    var parts: Int { pointer.pointee.parts }
    func run(part: Int, slot: Int) { pointer.pointee.run(part: part, slot: slot) }
}

/// The state shared with the workers.
///
/// One atomic word holds the job's generation, a "closed" bit and the number
/// of workers that joined the job. A worker joins (CAS) only while the job is
/// open, and reads the job only after joining; the dispatching thread claims
/// parts itself and, once none is left, closes the job and waits only for
/// workers that joined. A worker that is descheduled or asleep is therefore
/// never waited for: it finds the job closed when it wakes and skips it.
///
/// Waiting is spun for up to `spinSeconds` (a layer takes 30 us to 1 ms, a
/// futex wake-up on a virtual machine can take as long), then falls back to
/// the mutex and condition variables, so idle workers sleep.
private final class PoolState {
    static let spinSeconds = 0.002
    static let activeBits = 16
    static let closedBit = 1 << activeBits
    static let generationShift = activeBits + 1
    static let activeMask = (1 << activeBits) - 1

    /// Spins until `done()` or `spinSeconds` pass; returns `done()`.
    @inline(__always)
    static func spin(until done: () -> Bool) -> Bool {
        let deadline = monotonicSeconds() + spinSeconds
        while true {
            for _ in 0..<256 where done() { return true }
            if monotonicSeconds() > deadline { return done() }
        }
    }

    private let mutex = PThreadMutex(level: 2)
    private let wake = PThreadCondition()
    private let done = PThreadCondition()
    /// generation << generationShift | closed | active workers. Starts closed.
    private let word = Atomic<Int>(PoolState.closedBit)
    private let shutdown = Atomic<Bool>(false)
    /// Thread `slot` owns the contiguous parts slot * parts / threads ..<
    /// (slot + 1) * parts / threads and claims them first, so that with
    /// row-split layers each core mostly reads rows it wrote itself; then it
    /// takes what is left of the others' (a slowed or late thread is covered).
    /// `claimed[slot * stride]` counts the parts taken from slot's range; one
    /// cache line per counter.
    private let threads: Int
    private let claimed: UnsafeMutablePointer<Atomic<Int>>
    private static let stride = 8
    // Written only while the previous job is closed with no worker inside,
    // read by a worker only after it joined the current job.
    private var parts = 0
    private var job: (any PartRunner)?

    init(threads: Int) {
        self.threads = threads
        claimed = .allocate(capacity: threads * PoolState.stride)
        for i in 0..<(threads * PoolState.stride) { (claimed + i).initialize(to: Atomic(0)) }
    }

    deinit {
        claimed.deinitialize(count: threads * PoolState.stride)
        claimed.deallocate()
    }

    func start(parts: Int, job: any PartRunner) {
        self.job = job
        self.parts = parts
        for slot in 0..<threads { claimed[slot * PoolState.stride].store(0, ordering: .relaxed) }
        let generation = (word.load(ordering: .relaxed) >> PoolState.generationShift) + 1
        mutex.withLock {
            word.store(generation << PoolState.generationShift, ordering: .releasing)  // open, nobody joined
            wake.broadcast()
        }
    }

    /// Runs parts until none is left: its own range first, then the others'.
    func claimParts(slot: Int) {
        guard let job else { return }
        for offset in 0..<threads {
            let owner = (slot + offset) % threads
            let lower = owner * parts / threads, upper = (owner + 1) * parts / threads
            while true {
                let part = lower + claimed[owner * PoolState.stride].wrappingAdd(1, ordering: .relaxed).oldValue
                if part >= upper { break }
                job.run(part: part, slot: slot)
            }
        }
    }

    /// Closes the job to latecomers and waits for the workers that joined.
    func finish() {
        let closed = word.bitwiseOr(PoolState.closedBit, ordering: .acquiringAndReleasing).newValue
        if closed & PoolState.activeMask != 0 {
            let idle = { self.word.load(ordering: .acquiring) & PoolState.activeMask == 0 }
            if !PoolState.spin(until: idle) {
                mutex.withLock {
                    while !idle() { done.wait(mutex) }
                }
            }
        }
        job = nil
    }

    func requestShutdown() {
        mutex.withLock {
            shutdown.store(true, ordering: .releasing)
            wake.broadcast()
        }
    }

    /// Joins the open job of a generation other than `seen`; returns its
    /// generation, or nil if there is none open.
    private func join(seen: Int) -> Int? {
        var current = word.load(ordering: .acquiring)
        while true {
            let generation = current >> PoolState.generationShift
            if generation == seen || current & PoolState.closedBit != 0 { return nil }
            let (exchanged, original) = word.compareExchange(expected: current, desired: current + 1,
                                                             ordering: .acquiringAndReleasing)
            if exchanged { return generation }
            current = original
        }
    }

    func workerLoop(index: Int) {
        var seen = 0
        while true {
            // Wait for a job newer than the last one seen (open or not).
            let newJob = { self.word.load(ordering: .acquiring) >> PoolState.generationShift != seen }
            let woken = PoolState.spin { newJob() || self.shutdown.load(ordering: .relaxed) }
            if !woken {
                mutex.lock()
                while !newJob() && !shutdown.load(ordering: .relaxed) { wake.wait(mutex) }
                mutex.unlock()
            }
            if shutdown.load(ordering: .acquiring) { return }
            guard let generation = join(seen: seen) else {
                seen = word.load(ordering: .acquiring) >> PoolState.generationShift
                continue
            }
            seen = generation
            claimParts(slot: index)
            let left = word.subtract(1, ordering: .acquiringAndReleasing).newValue
            if left & PoolState.activeMask == 0 && left & PoolState.closedBit != 0 {
                mutex.withLock { done.signal() }
            }
        }
    }
}

private final class WorkerContext {
    let state: PoolState
    let index: Int
    init(state: PoolState, index: Int) {
        self.state = state
        self.index = index
    }
}
