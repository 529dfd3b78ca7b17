import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with a stable address (a Swift struct could move).
/// Every mutex and condition is fork-safe through `ForkGuard`: a fork() in
/// another thread of the host cannot leave one locked, or a condition
/// counting waiters that do not exist, in the child.
final class PThreadMutex {
    let raw: UnsafeMutablePointer<pthread_mutex_t>
    private let node: UnsafeMutablePointer<ForkGuard.Node>

    /// `level` orders the locks fork's prepare handler takes: a thread
    /// holding a mutex of level n only ever waits for mutexes of higher
    /// levels (ThreadPool's dispatch lock is 0, its state's mutex 2; the
    /// others are leaves, 1).
    init(level: Int = 1) {
        raw = .allocate(capacity: 1)
        raw.initialize(to: pthread_mutex_t())
        pthread_mutex_init(raw, nil)
        node = ForkGuard.register(mutex: raw, condition: nil, level: level)
    }

    deinit {
        ForkGuard.unregister(node)
        pthread_mutex_destroy(raw)
        raw.deallocate()
    }

    func lock() { pthread_mutex_lock(raw) }
    func unlock() { pthread_mutex_unlock(raw) }
    func tryLock() -> Bool { pthread_mutex_trylock(raw) == 0 }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

final class PThreadCondition {
    let raw: UnsafeMutablePointer<pthread_cond_t>
    private let node: UnsafeMutablePointer<ForkGuard.Node>

    init() {
        raw = .allocate(capacity: 1)
        raw.initialize(to: pthread_cond_t())
        pthread_cond_init(raw, nil)
        node = ForkGuard.register(mutex: nil, condition: raw, level: 0)
    }

    deinit {
        ForkGuard.unregister(node)
        pthread_cond_destroy(raw)
        raw.deallocate()
    }

    func wait(_ mutex: PThreadMutex) { pthread_cond_wait(raw, mutex.raw) }
    func broadcast() { pthread_cond_broadcast(raw) }
    func signal() { pthread_cond_signal(raw) }
}

/// pthread_atfork handlers for every live PThreadMutex and PThreadCondition.
///
/// prepare: takes every mutex, level by level (so fork waits for a running
/// `ThreadPool.parallel` to end instead of forking while a worker holds the
/// pool's lock: 5 children in 100 used to hang). parent: releases them.
/// child: initializes them all afresh (the child has only the forking
/// thread; a condition may still count the parent's waiters) and advances
/// `generation`, by which a ThreadPool knows its workers stayed in the
/// parent (ThreadPool.isInheritedByFork).
///
/// The list holds raw pointers (no reference counting in the handlers, no
/// allocation); `lock` guards it and is held from prepare to parent/child.
enum ForkGuard {
    struct Node {
        var mutex: UnsafeMutablePointer<pthread_mutex_t>?
        var condition: UnsafeMutablePointer<pthread_cond_t>?
        var level: Int
        var next: UnsafeMutablePointer<Node>?
        var previous: UnsafeMutablePointer<Node>?
    }

    static let levels = 3
    /// Advanced in each forked child.
    static let generation = Atomic<Int>(0)

    nonisolated(unsafe) private static var head: UnsafeMutablePointer<Node>?
    private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
        return lock
    }()
    private static let installed: Bool = {
        pthread_atfork({ ForkGuard.prepare() }, { ForkGuard.parent() }, { ForkGuard.child() }) == 0
    }()

    static func register(mutex: UnsafeMutablePointer<pthread_mutex_t>?, condition: UnsafeMutablePointer<pthread_cond_t>?,
                         level: Int) -> UnsafeMutablePointer<Node> {
        _ = installed
        let node = UnsafeMutablePointer<Node>.allocate(capacity: 1)
        node.initialize(to: Node(mutex: mutex, condition: condition, level: min(max(level, 0), levels - 1),
                                 next: nil, previous: nil))
        pthread_mutex_lock(lock)
        node.pointee.next = head
        head?.pointee.previous = node
        head = node
        pthread_mutex_unlock(lock)
        return node
    }

    static func unregister(_ node: UnsafeMutablePointer<Node>) {
        pthread_mutex_lock(lock)
        if let previous = node.pointee.previous { previous.pointee.next = node.pointee.next } else { head = node.pointee.next }
        node.pointee.next?.pointee.previous = node.pointee.previous
        pthread_mutex_unlock(lock)
        node.deinitialize(count: 1)
        node.deallocate()
    }

    private static func prepare() {
        pthread_mutex_lock(lock)
        for level in 0..<levels {
            var node = head
            while let n = node {
                if n.pointee.level == level, let mutex = n.pointee.mutex { pthread_mutex_lock(mutex) }
                node = n.pointee.next
            }
        }
    }

    private static func parent() {
        var node = head
        while let n = node {
            if let mutex = n.pointee.mutex { pthread_mutex_unlock(mutex) }
            node = n.pointee.next
        }
        pthread_mutex_unlock(lock)
    }

    private static func child() {
        var node = head
        while let n = node {
            if let mutex = n.pointee.mutex { pthread_mutex_init(mutex, nil) }
            if let condition = n.pointee.condition { pthread_cond_init(condition, nil) }
            node = n.pointee.next
        }
        generation.add(1, ordering: .releasing)
        pthread_mutex_init(lock, nil)
    }
}
