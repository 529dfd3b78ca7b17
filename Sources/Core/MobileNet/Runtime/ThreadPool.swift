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

private final class PoolState {
    private let mutex = PThreadMutex()
    private let wake = PThreadCondition()
    private let done = PThreadCondition()
    private var generation = 0
    private var pending = 0
    private var shutdown = false
    // Set only while `parallel` waits for the workers, which drop their
    // references before reporting done (withoutActuallyEscaping checks this).
    private var job: ((Int, Int) -> Void)?

    func start(workers: Int, job: @escaping (Int, Int) -> Void) {
        mutex.withLock {
            self.job = job
            pending = workers
            generation += 1
            wake.broadcast()
        }
    }

    func waitForWorkers() {
        mutex.withLock {
            while pending > 0 { done.wait(mutex) }
            job = nil
        }
    }

    func requestShutdown() {
        mutex.withLock {
            shutdown = true
            wake.broadcast()
        }
    }

    func workerLoop(index: Int) {
        var seen = 0
        while true {
            mutex.lock()
            while generation == seen && !shutdown { wake.wait(mutex) }
            if shutdown {
                mutex.unlock()
                return
            }
            seen = generation
            var work = job
            mutex.unlock()
            work?(index, index)
            work = nil
            mutex.withLock {
                pending -= 1
                if pending == 0 { done.signal() }
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
