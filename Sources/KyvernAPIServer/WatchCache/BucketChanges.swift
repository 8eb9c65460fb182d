import Synchronization

/// The revision of each bucket's last change and how often the cache was reloaded, kept beside the
/// watch cache so a reader can tell "nothing changed" without an actor hop.
public final class BucketChanges: Sendable {
    private struct State {
        var loads: Int64 = 0
        var revisions: [String: Int64] = [:]
    }

    private let state = Mutex(State())

    func record(_ bucket: String, revision: Int64) {
        state.withLock { $0.revisions[bucket] = revision }
    }

    func reset(loads: Int64) {
        state.withLock { $0 = State(loads: loads, revisions: [:]) }
    }

    /// Same shape as ``WatchCache/version(ofBuckets:)``: equal values mean nothing changed.
    /// After a reload every bucket reads 0 until it changes, and the load count differs.
    public func version(ofBuckets names: [String]) -> [Int64] {
        state.withLock { state in [state.loads] + names.map { state.revisions[$0] ?? 0 } }
    }
}
