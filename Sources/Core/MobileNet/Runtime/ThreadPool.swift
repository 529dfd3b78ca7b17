import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A persistent pool of worker threads running one job at a time, split into
/// a fixed number of parts (one per thread). The partition depends only on
/// the thread count, never on timing. If the pool is busy with another
/// caller's job, the parts run inline on the calling thread instead, so
/// concurrent callers never wait for each other or deadlock.
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

    /// Runs `body(part, slot)` for part in 0..<threadCount and returns when all
    /// are done. `slot` identifies the executing thread (0..<threadCount) for
    /// per-thread scratch memory.
    func parallel(_ body: (_ part: Int, _ slot: Int) -> Void) {
        if threadCount == 1 || !dispatchLock.tryLock() {
            for part in 0..<threadCount { body(part, 0) }
            return
        }
        defer { dispatchLock.unlock() }
        withoutActuallyEscaping(body) { body in
            state.start(workers: threadCount - 1, job: body)
            body(0, 0)
            state.waitForWorkers()
        }
    }
}

/// The state shared with the workers. Dispatch and completion are first
/// spun on (a layer takes tens of microseconds, a futex wake-up about as
/// long), then fall back to the mutex and condition variables, so idle
/// workers sleep.
private final class PoolState {
    static let spinLimit = 20_000

    private let mutex = PThreadMutex()
    private let wake = PThreadCondition()
    private let done = PThreadCondition()
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let shutdown = Atomic<Bool>(false)
    // Written before `generation` is published and cleared after every worker
    // has reported done, so workers read it only while it is valid.
    private var job: ((Int, Int) -> Void)?

    func start(workers: Int, job: @escaping (Int, Int) -> Void) {
        self.job = job
        pending.store(workers, ordering: .relaxed)
        mutex.withLock {
            generation.add(1, ordering: .releasing)
            wake.broadcast()
        }
    }

    func waitForWorkers() {
        var spins = 0
        while pending.load(ordering: .acquiring) != 0 && spins < PoolState.spinLimit { spins += 1 }
        if pending.load(ordering: .acquiring) != 0 {
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
            var spins = 0
            while generation.load(ordering: .acquiring) == seen && !shutdown.load(ordering: .relaxed)
                    && spins < PoolState.spinLimit {
                spins += 1
            }
            if generation.load(ordering: .acquiring) == seen {
                mutex.lock()
                while generation.load(ordering: .acquiring) == seen && !shutdown.load(ordering: .relaxed) {
                    wake.wait(mutex)
                }
                mutex.unlock()
            }
            if shutdown.load(ordering: .acquiring) { return }
            seen = generation.load(ordering: .acquiring)
            var work = job
            work?(index, index)
            work = nil
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
