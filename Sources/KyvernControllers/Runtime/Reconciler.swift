/// Brings one object to its desired state; the unit of work of a controller.
///
/// A reconcile reads desired and observed state from informer caches, acts through the client,
/// and returns. Throwing requeues the key with per-key exponential backoff; returning forgets
/// the backoff. It must be safe to run again at any time for the same key (principle 3).
public protocol Reconciler: Sendable {
    func reconcile(_ key: ObjectKey) async throws
}
