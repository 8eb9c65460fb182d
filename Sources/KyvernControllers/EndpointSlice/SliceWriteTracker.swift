import KyvernAPI

/// Remembers the slices a sync wrote until the informer shows them, so the next sync of the same
/// Service does not act on a cache that predates its own writes (upstream's
/// `EndpointSliceTracker`): without it a quick second sync would create the same slice twice.
actor SliceWriteTracker {
    private enum Expectation {
        case version(Int64)
        case deleted
    }

    private var expected: [ObjectKey: [String: Expectation]] = [:]

    func wrote(_ slice: JSONValue, service: ObjectKey) {
        guard let name = slice.name, let version = slice.resourceVersion.flatMap({ Int64($0) }) else { return }
        expected[service, default: [:]][name] = .version(version)
    }

    func deleted(_ name: String, service: ObjectKey) {
        expected[service, default: [:]][name] = .deleted
    }

    /// Whether `cached` (the cache's slices of the Service) is older than a write of ours; forgets
    /// the writes the cache has caught up with.
    func isStale(service: ObjectKey, cached: [JSONValue]) -> Bool {
        guard var pending = expected[service] else { return false }
        let versions = Dictionary(cached.compactMap { slice in slice.name.map { ($0, Int64(slice.resourceVersion ?? "") ?? 0) } },
                                  uniquingKeysWith: { a, _ in a })
        for (name, expectation) in pending {
            switch expectation {
            case .deleted:
                if versions[name] == nil { pending[name] = nil }
            case .version(let version):
                if let seen = versions[name], seen >= version { pending[name] = nil }
            }
        }
        expected[service] = pending.isEmpty ? nil : pending
        return !pending.isEmpty
    }

    func forget(_ service: ObjectKey) {
        expected[service] = nil
    }
}
