import DequeModule
import HeapModule
import Synchronization

/// Keys of objects to reconcile, handed to a controller's workers with upstream's guarantees:
///
/// - a key queued twice is queued once (adds collapse while it waits);
/// - a key being processed is never handed to a second worker; added meanwhile, it is queued
///   again when the first worker calls ``done(_:)``, so the latest change is never lost;
/// - ``addAfter(_:delay:)`` delays a key; ``addRateLimited(_:)`` delays it by the rate limiter
///   (per-key exponential backoff and an overall token bucket), ``forget(_:)`` resets its backoff;
/// - ``get()`` suspends (no polling) until a key is ready, and returns nil once the queue is
///   shut down or the waiting task is cancelled.
///
/// Workers loop `while let key = await queue.get() { ...; await queue.done(key) }`.
public actor WorkQueue<Key: Hashable & Sendable> {
    /// For logs and metrics, e.g. "replicaset".
    public let name: String
    private var queue: Deque<Key> = []
    /// Keys that need processing: queued, or re-added while being processed.
    private var dirty: Set<Key> = []
    private var processing: Set<Key> = []
    /// When each delayed key becomes ready (the earliest if it was delayed several times).
    private var readyAt: [Key: ContinuousClock.Instant] = [:]
    private var delayed = Heap<Delayed>()
    /// When each key in `queue` was queued, for ``getTimed()``'s wait.
    private var queuedAt: [Key: ContinuousClock.Instant] = [:]
    private var limiter: RateLimiter<Key>
    private var shuttingDown = false
    private let waiters = Waiters()
    private let clock = ContinuousClock()

    /// An empty queue whose ``addRateLimited(_:)`` uses `rateLimiter`.
    public init(name: String = "", rateLimiter: RateLimiterConfiguration = .controllerDefault) {
        self.name = name
        self.limiter = RateLimiter(rateLimiter)
    }

    // MARK: adding

    /// Queues `key` unless it is already waiting; ignored after shutdown.
    public func add(_ key: Key) {
        guard !shuttingDown, !dirty.contains(key) else { return }
        dirty.insert(key)
        if processing.contains(key) { return }
        enqueue(key)
    }

    /// Queues `key` once `delay` has passed (at once for a delay of zero or less). A key already
    /// delayed keeps the earlier of its two ready times.
    public func addAfter(_ key: Key, delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        let when = clock.now + delay
        if let existing = readyAt[key], existing <= when { return }
        readyAt[key] = when
        delayed.insert(Delayed(key: key, when: when))
        // Sleeping workers recompute when to wake.
        waiters.wakeAll(with: .recheck)
    }

    /// Queues `key` after the rate limiter's delay for it, counting one more failure.
    public func addRateLimited(_ key: Key) {
        guard !shuttingDown else { return }
        addAfter(key, delay: limiter.when(key, now: clock.now))
    }

    /// Resets `key`'s failure count (call after it was processed successfully).
    public func forget(_ key: Key) {
        limiter.forget(key)
    }

    /// How many times `key` was added rate-limited since it was last forgotten.
    public func numRequeues(_ key: Key) -> Int {
        limiter.numRequeues(key)
    }

    /// Hands `key` to a waiting worker, or queues it.
    private func enqueue(_ key: Key) {
        if waiters.handOver(key) {
            dirty.remove(key)
            processing.insert(key)
        } else {
            queue.append(key)
            queuedAt[key] = clock.now
        }
    }

    /// Moves delayed keys whose time has come into the queue.
    private func promoteDue() {
        let now = clock.now
        while let next = delayed.min, next.when <= now {
            _ = delayed.removeMin()
            guard readyAt[next.key] == next.when else { continue }  // superseded by an earlier time
            readyAt[next.key] = nil
            add(next.key)
        }
    }

    // MARK: processing

    /// The next key to process, suspending until one is ready; nil once the queue is shut down
    /// or the calling task is cancelled. The caller must call ``done(_:)`` with it.
    public func get() async -> Key? {
        await getTimed()?.key
    }

    /// ``get()``, with how long the key waited in the queue for a worker (upstream's
    /// `workqueue_queue_duration_seconds`; zero when a waiting worker took it at once).
    public func getTimed() async -> (key: Key, waited: Duration)? {
        while true {
            promoteDue()
            if shuttingDown || Task.isCancelled { return nil }
            if let key = queue.popFirst() {
                dirty.remove(key)
                processing.insert(key)
                let waited = queuedAt.removeValue(forKey: key).map { clock.now - $0 } ?? .zero
                return (key, waited)
            }
            switch await wait(until: delayed.min?.when) {
            case .key(let key): return (key, .zero)
            case .recheck: continue
            case .stop: return nil
            }
        }
    }

    /// Suspends until a key is handed over, the deadline passes, or the queue stops.
    private func wait(until deadline: ContinuousClock.Instant?) async -> Wake<Key> {
        let id = waiters.nextID()
        return await withTaskGroup(of: Void.self, returning: Wake<Key>.self) { group in
            if let deadline {
                group.addTask {
                    // Cancelled (and so ending early) once the wait is over for another reason.
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    await self.deadlinePassed(waiter: id)
                }
            }
            let wake = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    waiters.register(id, continuation)
                }
            } onCancel: {
                waiters.cancel(id)
            }
            group.cancelAll()
            return wake
        }
    }

    private func deadlinePassed(waiter id: Int) {
        promoteDue()
        waiters.wake(id, with: .recheck)
    }

    /// Marks `key` processed; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.contains(key) && !shuttingDown {
            enqueue(key)
        }
    }

    /// Stops the queue: waiting and later ``get()`` calls return nil, adds are ignored.
    public func shutDown() {
        shuttingDown = true
        waiters.wakeAll(with: .stop)
    }

    // MARK: inspection

    /// Keys waiting to be handed out (not counting delayed ones still waiting for their time).
    public var count: Int {
        promoteDue()
        return queue.count
    }

    /// Keys handed to workers and not yet done.
    public var processingCount: Int { processing.count }

    /// Keys delayed by ``addAfter(_:delay:)`` or ``addRateLimited(_:)`` and not yet due.
    public var delayedCount: Int {
        promoteDue()
        return readyAt.count
    }

    /// Whether ``shutDown()`` was called.
    public var isShuttingDown: Bool { shuttingDown }

    // MARK: types

    private struct Delayed: Comparable {
        var key: Key
        var when: ContinuousClock.Instant

        static func < (a: Delayed, b: Delayed) -> Bool { a.when < b.when }
        static func == (a: Delayed, b: Delayed) -> Bool { a.when == b.when && a.key == b.key }
    }
}

/// Why a waiting ``WorkQueue/get()`` resumed.
enum Wake<Key: Sendable>: Sendable {
    /// A key handed directly to this waiter (already marked processing).
    case key(Key)
    /// The deadline passed or delayed keys changed: look again.
    case recheck
    /// Shut down or cancelled.
    case stop
}

extension WorkQueue {
    /// The suspended getters, in arrival order. Behind a mutex rather than in the actor, so a
    /// getter's cancellation handler (which cannot enter the actor) can resume it at once.
    final class Waiters: Sendable {
        private struct State {
            var next = 0
            var order: Deque<Int> = []
            var continuations: [Int: CheckedContinuation<Wake<Key>, Never>] = [:]
            var cancelled: Set<Int> = []
        }

        private let state = Mutex(State())

        func nextID() -> Int {
            state.withLock { state in
                state.next += 1
                return state.next
            }
        }

        func register(_ id: Int, _ continuation: CheckedContinuation<Wake<Key>, Never>) {
            let resumeNow = state.withLock { state -> Bool in
                // The getter's task was cancelled before it got here.
                if state.cancelled.remove(id) != nil { return true }
                state.continuations[id] = continuation
                state.order.append(id)
                return false
            }
            if resumeNow { continuation.resume(returning: .stop) }
        }

        /// The getter's task was cancelled: resume it, or make its registration resume at once.
        func cancel(_ id: Int) {
            let continuation = state.withLock { state -> CheckedContinuation<Wake<Key>, Never>? in
                guard let continuation = state.continuations.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil
                }
                state.order.removeAll { $0 == id }
                return continuation
            }
            continuation?.resume(returning: .stop)
        }

        /// Resumes the longest-waiting getter with `key`; false if none waits.
        func handOver(_ key: Key) -> Bool {
            let continuation = state.withLock { state -> CheckedContinuation<Wake<Key>, Never>? in
                while let id = state.order.popFirst() {
                    if let continuation = state.continuations.removeValue(forKey: id) { return continuation }
                }
                return nil
            }
            continuation?.resume(returning: .key(key))
            return continuation != nil
        }

        func wake(_ id: Int, with wake: Wake<Key>) {
            let continuation = state.withLock { state -> CheckedContinuation<Wake<Key>, Never>? in
                guard let continuation = state.continuations.removeValue(forKey: id) else { return nil }
                state.order.removeAll { $0 == id }
                return continuation
            }
            continuation?.resume(returning: wake)
        }

        func wakeAll(with wake: Wake<Key>) {
            let all = state.withLock { state -> [CheckedContinuation<Wake<Key>, Never>] in
                defer {
                    state.continuations.removeAll()
                    state.order.removeAll()
                }
                return Array(state.continuations.values)
            }
            for continuation in all { continuation.resume(returning: wake) }
        }
    }
}
