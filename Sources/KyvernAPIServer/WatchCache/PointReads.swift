import Synchronization

/// The objects of a few buckets, readable without waiting for the watch cache actor.
///
/// Every request with a ServiceAccount token reads its account (and bound pod or secret); behind a
/// busy actor, which applies every write and feeds every watch, that read queued long enough to make
/// a user's requests measurably slower than an admin's. The actor writes here in the same step as
/// its own buckets, so a point read here sees what the actor would answer.
public final class PointReads: Sendable {
    /// The buckets mirrored: what token authentication and the node authorizer look up by key.
    static let buckets: [String] = [
        StorageKeys.resourcePrefix(group: "", resource: "serviceaccounts"),
        StorageKeys.resourcePrefix(group: "", resource: "secrets"),
        StorageKeys.resourcePrefix(group: "", resource: "pods"),
        StorageKeys.resourcePrefix(group: "", resource: "nodes"),
    ]

    private let objects = Mutex<[String: CachedObject]>([:])

    /// Whether reads of `bucket` can be answered here.
    /// Compared in place: `WatchCache.apply` asks for every event, and a `String` copy per event adds up.
    static func mirrors(_ bucket: some StringProtocol) -> Bool { buckets.contains { $0 == bucket } }

    func replaceAll(_ items: [String: CachedObject]) {
        objects.withLock { $0 = items }
    }

    func set(_ key: String, _ object: CachedObject?) {
        objects.withLock { $0[key] = object }
    }

    func get(_ key: String) -> CachedObject? {
        objects.withLock { $0[key] }
    }
}
