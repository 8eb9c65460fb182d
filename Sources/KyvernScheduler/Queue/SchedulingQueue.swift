public import KyvernAPI

/// The pods waiting to be scheduled, in upstream's three queues.
///
/// - activeQ: ready to be tried, most urgent first (PrioritySort).
/// - backoffQ: failed recently; each waits out its own exponential backoff before going active,
///   unless the active queue is empty: then a pod that was unschedulable (not one whose attempt
///   failed with an error) is tried at once, as upstream's scheduler does since 1.33
///   (SchedulerPopFromBackoffQ), so an idle scheduler never waits on a backoff timer.
/// - unschedulable: fit nowhere; they stay until a cluster event one of the plugins that
///   rejected them cares about happens (or for at most ``unschedulableTimeout``), so a backlog
///   of pods that cannot fit does not burn the scheduler's time.
///
/// A popped pod is "in flight" until the scheduler reports back with ``done(_:)`` or
/// ``requeue(_:rejectedBy:)``; events arriving meanwhile are remembered so a pod that failed
/// against a now-outdated snapshot is retried instead of parked.
public actor SchedulingQueue {
    public struct Counts: Sendable, Hashable {
        public var active: Int
        public var backoff: Int
        public var unschedulable: Int
    }

    let now: @Sendable () -> Double
    let backoff: BackoffPolicy
    let unschedulableTimeout: Double

    private var activeQ = KeyedHeap<QueuedPod>(less: QueuedPod.prioritySort)
    private var backoffQ: KeyedHeap<QueuedPod>
    private var unschedulable: [String: QueuedPod] = [:]
    /// Popped pods by key, holding the newest object seen while they were being scheduled.
    private var inFlight: [String: QueuedPod] = [:]
    private var updatedInFlight: Set<String> = []
    /// Cluster events since the oldest in-flight pod was popped, numbered.
    private var eventLog: [(sequence: Int, event: ClusterEvent)] = []
    private var eventSequence = 0
    private var waiters: [CheckedContinuation<QueuedPod?, Never>] = []
    private var closed = false

    public init(now: @escaping @Sendable () -> Double = SchedulingQueue.monotonicSeconds,
                backoff: BackoffPolicy = BackoffPolicy(), unschedulableTimeout: Double = 300) {
        self.now = now
        self.backoff = backoff
        self.unschedulableTimeout = unschedulableTimeout
        backoffQ = KeyedHeap { [backoff] a, b in
            a.timestamp + backoff.duration(attempts: a.attempts) < b.timestamp + backoff.duration(attempts: b.attempts)
        }
    }

    /// Seconds on a monotonic clock.
    public static let monotonicSeconds: @Sendable () -> Double = {
        let elapsed = ContinuousClock.now - SchedulingQueue.origin
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    private static let origin = ContinuousClock.now

    public var counts: Counts {
        Counts(active: activeQ.count, backoff: backoffQ.count, unschedulable: unschedulable.count)
    }

    /// Where a pod currently is, for tests and diagnosis.
    public enum Location: Sendable, Hashable { case active, backoff, unschedulable, inFlight }

    public func location(of key: String) -> Location? {
        if activeQ.contains(key) { return .active }
        if backoffQ.contains(key) { return .backoff }
        if unschedulable[key] != nil { return .unschedulable }
        if inFlight[key] != nil { return .inFlight }
        return nil
    }

    // MARK: informer input

    /// A new pod to schedule; a pod already known is treated as updated.
    public func add(_ pod: JSONValue) {
        let key = NodeInfo.key(of: pod)
        if location(of: key) != nil {
            update(old: nil, new: pod)
            return
        }
        activeQ.upsert(key, QueuedPod(pod: pod, timestamp: now()))
        wakeWaiter()
    }

    /// The pod changed while queued: its entry takes the new object (keeping its attempts and
    /// place). A user's change to an unschedulable pod makes it worth retrying.
    public func update(old: JSONValue?, new: JSONValue) {
        let key = NodeInfo.key(of: new)
        if var info = inFlight[key] {
            info.pod = new
            inFlight[key] = info
            if old.map({ PodUpdate.isUserUpdate(old: $0, new: new) }) ?? true { updatedInFlight.insert(key) }
        } else if var info = activeQ[key] {
            info.pod = new
            info.priority = new[path: ["spec", "priority"]]?.intValue ?? 0
            activeQ.upsert(key, info)
        } else if var info = backoffQ[key] {
            info.pod = new
            backoffQ.upsert(key, info)
        } else if var info = unschedulable[key] {
            info.pod = new
            if old.map({ PodUpdate.isUserUpdate(old: $0, new: new) }) ?? true {
                unschedulable[key] = nil
                requeueFromUnschedulable(info)
            } else {
                unschedulable[key] = info
            }
        } else {
            add(new)
        }
    }

    /// The pod is gone (deleted, bound by someone else, or no longer ours).
    public func delete(_ pod: JSONValue) {
        let key = NodeInfo.key(of: pod)
        activeQ.remove(key)
        backoffQ.remove(key)
        unschedulable[key] = nil
        inFlight[key] = nil
        updatedInFlight.remove(key)
        pruneEventLog()
    }

    /// A cluster change: unschedulable pods rejected by a plugin that cares about it move to the
    /// backoff or active queue; the others stay parked.
    public func clusterChanged(_ events: [ClusterEvent]) {
        guard !events.isEmpty else { return }
        if !inFlight.isEmpty {
            for event in events {
                eventSequence += 1
                eventLog.append((eventSequence, event))
            }
        }
        let moving = unschedulable.values.filter { info in
            events.contains { EventInterest.mayHelp($0, rejectedBy: info.unschedulablePlugins) }
        }
        for info in moving {
            unschedulable[info.key] = nil
            requeueFromUnschedulable(info)
        }
    }

    // MARK: scheduler side

    /// The most urgent active pod; suspends until one is there. `nil` once the queue is closed.
    public func pop() async -> QueuedPod? {
        if let info = takeNext() { return info }
        if closed { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// The popped pod was scheduled (or dropped): forget it.
    public func done(_ key: String) {
        inFlight[key] = nil
        updatedInFlight.remove(key)
        pruneEventLog()
    }

    /// The popped pod fit nowhere (`plugins` rejected it) or its attempt failed with an error
    /// (`plugins` empty and `error`). It waits in backoff when something relevant happened while
    /// it was in flight or it failed with an error; otherwise it is parked as unschedulable.
    /// A pod deleted while in flight is dropped.
    public func requeue(_ key: String, rejectedBy plugins: Set<String>, error: Bool = false) {
        guard var info = inFlight.removeValue(forKey: key) else { return }
        let updated = updatedInFlight.remove(key) != nil
        info.unschedulablePlugins = plugins
        info.timestamp = now()
        info.failedWithError = error
        let missed = eventLog.contains { entry in
            entry.sequence > info.poppedAtEvent && EventInterest.mayHelp(entry.event, rejectedBy: plugins)
        }
        pruneEventLog()
        if error || updated || missed {
            backoffQ.upsert(key, info)
            wakeWaiter()
        } else {
            unschedulable[key] = info
        }
    }

    /// Moves pods whose backoff has expired to the active queue (upstream runs this every second).
    public func flushBackoffCompleted() {
        let time = now()
        while let head = backoffQ.peek, backoffExpiry(head) <= time {
            backoffQ.remove(head.key)
            activeQ.upsert(head.key, head)
        }
        wakeWaiter()
    }

    /// Retries pods parked longer than ``unschedulableTimeout`` (upstream's 5 minute flush), in
    /// case an event that would have helped them was missed.
    public func flushUnschedulableLeftover() {
        let time = now()
        for info in unschedulable.values where time - info.timestamp >= unschedulableTimeout {
            unschedulable[info.key] = nil
            requeueFromUnschedulable(info)
        }
    }

    /// Flushes the backoff queue every second and the unschedulable pods every 30 s until
    /// cancelled, then closes the queue.
    public func run() async {
        var tick = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            tick += 1
            flushBackoffCompleted()
            if tick % 30 == 0 { flushUnschedulableLeftover() }
        }
        close()
    }

    /// Wakes a waiting `pop()` with `nil` and makes later pops return `nil`.
    public func close() {
        closed = true
        let pending = waiters
        waiters = []
        for waiter in pending { waiter.resume(returning: nil) }
    }

    // MARK: internals

    private func backoffExpiry(_ info: QueuedPod) -> Double {
        info.timestamp + backoff.duration(attempts: info.attempts)
    }

    private func requeueFromUnschedulable(_ info: QueuedPod) {
        if backoffExpiry(info) > now() {
            backoffQ.upsert(info.key, info)
        } else {
            activeQ.upsert(info.key, info)
        }
        wakeWaiter()
    }

    private func takeNext() -> QueuedPod? {
        if activeQ.isEmpty, let head = backoffQ.peek, !head.failedWithError {
            backoffQ.remove(head.key)
            activeQ.upsert(head.key, head)
        }
        guard var info = activeQ.popFirst() else { return nil }
        info.attempts += 1
        info.poppedAtEvent = eventSequence
        inFlight[info.key] = info
        return info
    }

    private func wakeWaiter() {
        while !waiters.isEmpty, !activeQ.isEmpty || backoffQ.peek.map({ !$0.failedWithError }) == true {
            let waiter = waiters.removeFirst()
            waiter.resume(returning: takeNext())
        }
    }

    private func pruneEventLog() {
        guard let oldest = inFlight.values.map(\.poppedAtEvent).min() else {
            eventLog.removeAll()
            return
        }
        eventLog.removeAll { $0.sequence <= oldest }
    }
}
