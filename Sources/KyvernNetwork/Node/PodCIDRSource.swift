import Synchronization

/// The node's pod range, known at start (`--pod-cidr`) or only once the controller manager has
/// written the Node's `spec.podCIDR`. Sandboxes wait for it, so a pod created before the range is
/// known stays in ContainerCreating instead of getting an address from the wrong network.
public final class PodCIDRSource: Sendable {
    private struct State {
        var value: String?
        var waiters: [Int: CheckedContinuation<String, any Error>] = [:]
        var nextID = 0
    }

    private let state: Mutex<State>

    public init(_ value: String? = nil) {
        state = Mutex(State(value: value))
    }

    /// The range if known.
    public var current: String? { state.withLock { $0.value } }

    /// Sets the range once (a Node's podCIDR never changes); later calls are ignored.
    public func set(_ cidr: String) {
        let waiters: [CheckedContinuation<String, any Error>] = state.withLock { state in
            guard state.value == nil else { return [] }
            state.value = cidr
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: cidr) }
    }

    /// The range, waiting until it is known; throws `CancellationError` when the task is cancelled.
    public func value() async throws -> String {
        if let value = current { return value }
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<String, any Error>? = state.withLock { state in
                    if let value = state.value { return .success(value) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
