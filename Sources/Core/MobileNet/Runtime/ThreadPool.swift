import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A persistent pool of worker threads running one job at a time. A job is a
/// number of parts that the threads claim one by one (so a core slowed by
/// another process gets fewer); which thread runs a part never changes what
/// the part computes, so results are bit-identical whatever the thread count
/// or timing. If the pool is busy with another caller's job, the parts run
/// inline on the calling thread, so concurrent callers never wait for each
/// other or deadlock.
final class ThreadPool {
    let threadCount: Int
    private let state = PoolState()
    private let dispatchLock = PThreadMutex()
    private var threads: [pthread_t] = []

    static var onlineCores: Int { max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1) }

    init(threadCount: Int) throws {
        self.threadCount = max(threadCount, 1)
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
        state.requestShutdown()
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    /// Runs `body(part, slot)` for every part in 0..<parts and returns when all
    /// are done. `slot` identifies the executing thread (0..<threadCount) for
    /// per-thread scratch memory.
    func parallel(parts: Int, _ body: (_ part: Int, _ slot: Int) -> Void) {
        if threadCount == 1 || parts <= 1 || !dispatchLock.tryLock() {
            for part in 0..<parts { body(part, 0) }
            return
        }
        defer { dispatchLock.unlock() }
        withoutActuallyEscaping(body) { body in
            state.start(workers: threadCount - 1, parts: parts, job: body)
            state.claimParts(slot: 0)
            state.waitForWorkers()
        }
    }
}

/// The state shared with the workers. Dispatch and completion are first
/// spun on for up to `spinSeconds` (a layer takes 30 us to 1 ms, a futex
/// wake-up on a virtual machine can take as long), then fall back to the
/// mutex and condition variables, so idle workers sleep.
private final class PoolState {
    static let spinSeconds = 0.002

    /// Spins until `done()` or `spinSeconds` pass; returns `done()`.
    @inline(__always)
    static func spin(until done: () -> Bool) -> Bool {
        let deadline = monotonicSeconds() + spinSeconds
        while true {
            for _ in 0..<256 where done() { return true }
            if monotonicSeconds() > deadline { return done() }
        }
    }

    private let mutex = PThreadMutex()
    private let wake = PThreadCondition()
    private let done = PThreadCondition()
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let shutdown = Atomic<Bool>(false)
    private let nextPart = Atomic<Int>(0)
    private var parts = 0
    // Written before `generation` is published and cleared after every worker
    // has reported done, so workers read it only while it is valid.
    private var job: ((Int, Int) -> Void)?

    func start(workers: Int, parts: Int, job: @escaping (Int, Int) -> Void) {
        self.job = job
        self.parts = parts
        nextPart.store(0, ordering: .relaxed)
        pending.store(workers, ordering: .relaxed)
        mutex.withLock {
            generation.add(1, ordering: .releasing)
            wake.broadcast()
        }
    }

    /// Runs parts until none is left.
    func claimParts(slot: Int) {
        guard let job else { return }
        while true {
            let part = nextPart.wrappingAdd(1, ordering: .relaxed).oldValue
            if part >= parts { return }
            job(part, slot)
        }
    }

    func waitForWorkers() {
        if !PoolState.spin(until: { pending.load(ordering: .acquiring) == 0 }) {
            mutex.withLock {
                while pending.load(ordering: .acquiring) != 0 { done.wait(mutex) }
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

    func workerLoop(index: Int) {
        var seen = 0
        while true {
            let woken = PoolState.spin {
                generation.load(ordering: .acquiring) != seen || shutdown.load(ordering: .relaxed)
            }
            if !woken {
                mutex.lock()
                while generation.load(ordering: .acquiring) == seen && !shutdown.load(ordering: .relaxed) {
                    wake.wait(mutex)
                }
                mutex.unlock()
            }
            if shutdown.load(ordering: .acquiring) { return }
            seen = generation.load(ordering: .acquiring)
            claimParts(slot: index)
            if pending.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
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
