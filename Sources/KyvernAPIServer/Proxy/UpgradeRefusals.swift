import Foundation

/// Why a streaming request was not upgraded, kept from the upgrade decision until the HTTP path
/// answers the same request, so its checks (admission webhooks among them) run once, not twice.
/// Keyed by the request's `Sec-WebSocket-Key` (a fresh nonce per upgrade request) and the user.
actor UpgradeRefusals {
    private struct Entry { var user: String; var error: any Error; var at: ContinuousClock.Instant }
    private var entries: [String: Entry] = [:]
    private let lifetime: Duration
    private let capacity: Int

    init(lifetime: Duration = .seconds(30), capacity: Int = 256) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func remember(_ error: any Error, key: String, user: String) {
        let now = ContinuousClock.now
        entries = entries.filter { now - $0.value.at < lifetime }
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key {
            entries[oldest] = nil
        }
        entries[key] = Entry(user: user, error: error, at: now)
    }

    /// The refusal recorded for this request, once; nil when there is none (or it is stale).
    func take(key: String, user: String) -> (any Error)? {
        guard let entry = entries.removeValue(forKey: key), entry.user == user,
              ContinuousClock.now - entry.at < lifetime else { return nil }
        return entry.error
    }
}
