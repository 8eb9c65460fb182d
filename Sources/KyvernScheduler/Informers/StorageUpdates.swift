public import KyvernAPI
public import KyvernClient
import Synchronization

/// Claims and volumes as the scheduler's informers last saw them, with a wake-up on every change,
/// so VolumeBinding's PreBind waits for the PV binder on the cache (as upstream checks its assume
/// caches) instead of reading each claim from the API server on a timer. With 100 pods waiting,
/// the timer meant hundreds of reads a second against the server doing the binding, and up to a
/// poll interval between a claim turning Bound and its pod being bound.
package final class StorageUpdates: Sendable {
    private struct State {
        var storage = StorageObjects()
        /// Bumped by every change; a waiter returns once it moved past the value it started from.
        var generation: UInt64 = 0
        var nextWaiter = 0
        /// Waiters still waiting (a wake-up for another one is ignored).
        var waiting: Set<Int> = []
        var continuations: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// Records an informer event of a claim or volume and wakes every waiter.
    package func record(_ event: InformerEvent, claim: Bool) {
        let object = event.object
        guard let name = object.name else { return }
        let value: JSONValue? = if case .deleted = event { nil } else { object }
        let woken = state.withLock { state in
            if claim {
                state.storage.claims[StorageObjects.claimKey(namespace: object.namespace ?? "", name: name)] = value
            } else {
                state.storage.volumes[name] = value
            }
            state.generation &+= 1
            let woken = Array(state.continuations.values)
            state.continuations = [:]
            state.waiting = []
            return woken
        }
        for continuation in woken { continuation.resume() }
    }

    /// The current objects and the generation they belong to.
    package var current: (storage: StorageObjects, generation: UInt64) {
        state.withLock { ($0.storage, $0.generation) }
    }

    /// Returns once something changed after `generation`, after `timeout`, or when cancelled.
    package func wait(after generation: UInt64, timeout: Duration) async {
        let id = state.withLock { state -> Int in
            state.nextWaiter &+= 1
            state.waiting.insert(state.nextWaiter)
            return state.nextWaiter
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.wake(id)
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { state -> Bool in
                        guard state.waiting.contains(id), state.generation == generation else { return true }
                        state.continuations[id] = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            } onCancel: {
                self.wake(id)
            }
            group.cancelAll()
        }
        state.withLock { _ = $0.waiting.remove(id) }
    }

    private func wake(_ id: Int) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.waiting.remove(id)
            return state.continuations.removeValue(forKey: id)
        }
        continuation?.resume()
    }
}
