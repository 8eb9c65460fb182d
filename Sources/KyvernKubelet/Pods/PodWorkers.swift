import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import Logging

/// One ``PodWorker`` per pod bound to this node, each running its syncs in its own child task of
/// ``run()``: an informer event or a probe verdict wakes the pod's worker, and a tick every second
/// makes every worker look at its containers again (upstream's PLEG relist, by polling the
/// runtime). Wakes coalesce, so a busy pod never queues more than one sync.
actor PodWorkers {
    struct Entry {
        var worker: PodWorker
        var latest: JSONValue
        var gone = false
        var wake: AsyncStream<Void>.Continuation
    }

    /// A worker for ``run()`` to start.
    struct Start: Sendable {
        var uid: String
        var worker: PodWorker
        var wakes: AsyncStream<Void>
    }

    let context: PodContext
    private var entries: [String: Entry] = [:]
    /// Pods whose deletion this agent completed: late updates of them must not start a worker again.
    private var finished: Set<String> = []
    private var finishedOrder: [String] = []

    private let starts: AsyncStream<Start>
    private let start: AsyncStream<Start>.Continuation

    init(context: PodContext) {
        self.context = context
        (starts, start) = AsyncStream.makeStream(of: Start.self)
    }

    /// Runs every pod's worker as a child task until cancelled; then the workers end after their
    /// current sync (their containers keep running).
    func run() async {
        await withDiscardingTaskGroup { group in
            for await start in starts {
                group.addTask { await self.run(uid: start.uid, worker: start.worker, wakes: start.wakes) }
            }
        }
    }

    var count: Int { entries.count }
    var uids: Set<String> { Set(entries.keys) }

    func worker(_ uid: String) -> PodWorker? { entries[uid]?.worker }

    /// A pod was added or changed.
    func update(_ pod: JSONValue) {
        let uid = PodFacts(pod: pod).uid
        guard !uid.isEmpty, !finished.contains(uid) else { return }
        if entries[uid] == nil {
            let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            let worker = PodWorker(context: context, uid: uid, wake: { continuation.yield() })
            entries[uid] = Entry(worker: worker, latest: pod, wake: continuation)
            start.yield(Start(uid: uid, worker: worker, wakes: stream))
        }
        entries[uid]?.latest = pod
        entries[uid]?.wake.yield()
    }

    /// A pod went away from the API (deleted without this agent's final delete, e.g. forced).
    func remove(_ pod: JSONValue) {
        let uid = PodFacts(pod: pod).uid
        guard entries[uid] != nil else { return }
        entries[uid]?.gone = true
        entries[uid]?.latest = pod
        entries[uid]?.wake.yield()
    }

    /// Wakes the worker of the pod with `uid` (a container event the runtime pushed).
    func wake(uid: String) {
        entries[uid]?.wake.yield()
    }

    /// Wakes every worker (the periodic relist).
    func tick() {
        for entry in entries.values { entry.wake.yield() }
    }

    /// Ends every worker's wakes (after ``run()`` has ended, nothing is left to stop).
    func stopAll() {
        for entry in entries.values { entry.wake.finish() }
        entries.removeAll()
        start.finish()
    }

    private func current(_ uid: String) -> (JSONValue, Bool)? {
        entries[uid].map { ($0.latest, $0.gone) }
    }

    private func done(_ uid: String) {
        entries.removeValue(forKey: uid)?.wake.finish()
        finished.insert(uid)
        finishedOrder.append(uid)
        if finishedOrder.count > 10_000 { finished.remove(finishedOrder.removeFirst()) }
    }

    private func run(uid: String, worker: PodWorker, wakes: AsyncStream<Void>) async {
        for await _ in wakes {
            guard let (pod, gone) = current(uid) else { return }
            if gone {
                do {
                    try await worker.terminate(pod, reportAndDelete: false)
                } catch {
                    context.logger.warning("cleaning up a removed pod failed", metadata: ["pod": "\(uid)", "error": "\(error)"])
                }
                done(uid)
                return
            }
            if await worker.sync(pod) {
                done(uid)
                return
            }
        }
    }
}
