import Foundation

/// What a controller has asked the API to do for one owner and not yet seen in its caches
/// (upstream's `UIDTrackingControllerExpectations`).
///
/// Informers lag behind the controller's own writes. Without this, a sync right after creating
/// three pods would still see none and create three more. A sync acts on an owner only once its
/// expected creations and deletions were observed, or after `timeout` in case a watch event was
/// lost for good; the informer handlers report what they observe.
actor ControllerExpectations {
    struct Pending: Sendable {
        var adds: Int
        var deletes: Int
        /// Pod keys (`namespace/name`) whose deletion is awaited, so a deletion by someone else
        /// is not taken for ours.
        var deleteKeys: Set<String>
        var setAt: Date

        var fulfilled: Bool { adds <= 0 && deletes <= 0 }
    }

    private var pending: [String: Pending] = [:]
    let timeout: TimeInterval
    private let now: @Sendable () -> Date

    init(timeout: Duration = .seconds(300), now: @escaping @Sendable () -> Date = { Date() }) {
        let c = timeout.components
        self.timeout = TimeInterval(c.seconds) + TimeInterval(c.attoseconds) / 1e18
        self.now = now
    }

    /// True when the owner `key` may be acted on: nothing pending, everything observed, or the
    /// expectations timed out.
    func satisfied(_ key: String) -> Bool {
        guard let p = pending[key] else { return true }
        return p.fulfilled || now().timeIntervalSince(p.setAt) > timeout
    }

    func expectCreations(_ key: String, _ count: Int) {
        pending[key] = Pending(adds: count, deletes: 0, deleteKeys: [], setAt: now())
    }

    func expectDeletions(_ key: String, podKeys: [String]) {
        pending[key] = Pending(adds: 0, deletes: podKeys.count, deleteKeys: Set(podKeys), setAt: now())
    }

    /// Creations and deletions at once (a DaemonSet sync may do both).
    func expect(_ key: String, creations: Int, deletions podKeys: [String]) {
        pending[key] = Pending(adds: creations, deletes: podKeys.count, deleteKeys: Set(podKeys), setAt: now())
    }

    /// One creation observed (or given up on: a failed create is never observed).
    func creationObserved(_ key: String) {
        pending[key]?.adds -= 1
    }

    /// The deletion of `podKey` observed (or given up on); ignored unless it was awaited.
    func deletionObserved(_ key: String, podKey: String) {
        guard pending[key]?.deleteKeys.remove(podKey) != nil else { return }
        pending[key]?.deletes -= 1
    }

    /// Forgets an owner (it was deleted).
    func delete(_ key: String) {
        pending[key] = nil
    }

    /// For tests and logs: what is still awaited.
    func pendingCounts(_ key: String) -> (adds: Int, deletes: Int)? {
        pending[key].map { ($0.adds, $0.deletes) }
    }
}
