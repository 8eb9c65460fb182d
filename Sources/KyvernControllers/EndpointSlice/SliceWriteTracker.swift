import KyvernAPI

/// Remembers the slices a sync wrote until the informer shows them, so the next sync of the same
/// Service does not act on a cache that predates its own writes (upstream's
/// `EndpointSliceTracker`): without it a quick second sync would create the same slice twice.
actor SliceWriteTracker {
    private enum Expectation {
        case version(Int64, since: ContinuousClock.Instant)
        case deleted(since: ContinuousClock.Instant)
    }

    /// How long a write may stay unseen before the cache is trusted again anyway (a watch that
    /// missed it re-lists long before; this only bounds a wait that could otherwise be endless).
    static let patience = Duration.seconds(30)

    private var expected: [ObjectKey: [String: Expectation]] = [:]

    func wrote(_ slice: JSONValue, service: ObjectKey) {
        guard let name = slice.name, let version = slice.resourceVersion.flatMap({ Int64($0) }) else { return }
        expected[service, default: [:]][name] = .version(version, since: .now)
    }

    func deleted(_ name: String, service: ObjectKey) {
        expected[service, default: [:]][name] = .deleted(since: .now)
    }

    /// A slice's deletion reached the cache: whatever we expected of it is settled.
    func observedDeletion(of name: String, service: ObjectKey) {
        expected[service]?[name] = nil
        if expected[service]?.isEmpty == true { expected[service] = nil }
    }

    /// Whether `cached` (the cache's slices of the Service) is older than a write of ours; forgets
    /// the writes the cache has caught up with.
    func isStale(service: ObjectKey, cached: [JSONValue]) -> Bool {
        guard var pending = expected[service] else { return false }
        let versions = Dictionary(cached.compactMap { slice in slice.name.map { ($0, Int64(slice.resourceVersion ?? "") ?? 0) } },
                                  uniquingKeysWith: { a, _ in a })
        let now = ContinuousClock.now
        for (name, expectation) in pending {
            switch expectation {
            case .deleted(let since):
                if versions[name] == nil || now - since > Self.patience { pending[name] = nil }
            case .version(let version, let since):
                if let seen = versions[name], seen >= version { pending[name] = nil }
                if now - since > Self.patience { pending[name] = nil }
            }
        }
        expected[service] = pending.isEmpty ? nil : pending
        return !pending.isEmpty
    }

    func forget(_ service: ObjectKey) {
        expected[service] = nil
    }
}
