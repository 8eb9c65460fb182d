import KyvernClient
import Logging

/// Runs `workers` loops that take keys from a queue and sync them, as upstream's controllers do:
/// a failed key is retried with the queue's per-item backoff, a synced one forgotten.
enum WorkerPool {
    static func run<Key: Hashable & Sendable>(queue: WorkQueue<Key>, workers: Int, logger: Logger,
                                              sync: @escaping @Sendable (Key) async throws -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let key = await queue.get() {
                        do {
                            try await sync(key)
                            await queue.forget(key)
                        } catch is CancellationError {
                            await queue.done(key)
                            return
                        } catch {
                            logger.warning("sync failed; will retry", metadata: ["key": "\(key)", "error": "\(error)"])
                            await queue.addRateLimited(key)
                        }
                        await queue.done(key)
                    }
                }
            }
        }
    }
}
