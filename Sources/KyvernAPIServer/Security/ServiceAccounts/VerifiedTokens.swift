import KyvernAPI
import Synchronization

/// Tokens whose signature has already been verified, with their claims, so that a client sending
/// the same token on every request pays for one RSA verification, not one per request. Only the
/// signature check is remembered: expiry and the existence of the account and bound object are
/// checked on every request, so revocation still takes effect at once.
final class VerifiedTokens: Sendable {
    private let entries = Mutex<[String: JSONValue]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func claims(of token: String) -> JSONValue? {
        entries.withLock { $0[token] }
    }

    func remember(_ token: String, claims: JSONValue) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = claims
        }
    }
}
