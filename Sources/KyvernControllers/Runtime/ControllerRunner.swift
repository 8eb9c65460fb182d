import KyvernAPI
import KyvernClient
public import Logging
import Prometheus

/// Runs one controller's workers: each takes a key, reconciles it, and forgets its backoff on
/// success or requeues it rate-limited on failure (principle 3).
///
/// The work queue guarantees one key is never handled by two workers at once, so reconcilers need
/// no locking per object. Cancelling `run()` shuts the queue down; workers finish the key at hand.
public struct ControllerRunner: Sendable {
    public let name: String
    public let queue: ControllerQueue
    let reconciler: any Reconciler
    let workers: Int
    let logger: Logger
    /// Tasks that live as long as the workers, e.g. the controller's event writer.
    let companions: [@Sendable () async -> Void]

    public init(name: String, reconciler: any Reconciler, queue: ControllerQueue, workers: Int, logger: Logger,
                companions: [@Sendable () async -> Void] = []) {
        self.name = name
        self.companions = companions
        self.reconciler = reconciler
        self.queue = queue
        self.workers = max(1, workers)
        self.logger = logger
    }

    /// Runs the workers until the task is cancelled.
    public func run() async {
        logger.info("starting workers", metadata: ["controller": "\(name)", "workers": "\(workers)"])
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [queue] in
                // Turns cancellation into a queue shutdown, which wakes every waiting worker.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                await queue.queue.shutDown()
            }
            for companion in companions {
                group.addTask { await companion() }
            }
            for _ in 0..<workers {
                group.addTask { await worker() }
            }
        }
        logger.info("stopped workers", metadata: ["controller": "\(name)"])
    }

    private func worker() async {
        while let (key, waited) = await queue.queue.getTimed() {
            queue.metrics.waited.record(waited)
            await process(key)
        }
    }

    /// Reconciles one key and settles it in the queue; separate so tests can drive it directly.
    func process(_ key: ObjectKey) async {
        let start = ContinuousClock.now
        do {
            try await reconciler.reconcile(key)
            await queue.queue.forget(key)
        } catch is CancellationError {
            // Shutting down: the next leader resyncs everything anyway.
        } catch let error as APIError where error.code == 409 && error.reason == "Conflict" {
            // A write from a copy the cache had not yet refreshed: expected under load, not a
            // failure. Sync again once the per-key backoff allows, with the newer copy.
            logger.debug("conflict, will resync", metadata: ["controller": "\(name)", "key": "\(key)"])
            await queue.retry(key)
        } catch {
            queue.metrics.errors.increment()
            logger.warning("sync failed, will retry", metadata: [
                "controller": "\(name)", "key": "\(key)", "error": "\(error)",
            ])
            await queue.retry(key)
        }
        queue.metrics.latency.record(ContinuousClock.now - start)
        await queue.queue.done(key)
        await queue.refreshDepth()
    }
}
