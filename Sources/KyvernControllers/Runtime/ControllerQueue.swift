public import KyvernClient
import Prometheus

/// A controller's work queue together with its metrics: informer handlers enqueue through this,
/// workers take from it, and depth and adds are counted on the way.
public struct ControllerQueue: Sendable {
    public let queue: WorkQueue<ObjectKey>
    let metrics: ControllerMetrics

    public init(queue: WorkQueue<ObjectKey>, metrics: ControllerMetrics) {
        self.queue = queue
        self.metrics = metrics
    }

    public func add(_ key: ObjectKey) async {
        await queue.add(key)
        metrics.adds.increment()
        await refreshDepth()
    }

    /// Adds `key` once `delay` has passed (a status that changes with time, e.g. `minReadySeconds`).
    public func addAfter(_ key: ObjectKey, delay: Duration) async {
        await queue.addAfter(key, delay: delay)
    }

    /// Re-adds a failed key after its per-key backoff.
    func retry(_ key: ObjectKey) async {
        metrics.retries.increment()
        await queue.addRateLimited(key)
    }

    func refreshDepth() async {
        metrics.depth.set(Double(await queue.count))
    }
}
