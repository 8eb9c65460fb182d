import Foundation
import KyvernStore

/// The lease records of the live API servers (upstream's lease endpoint reconciler): each server
/// renews `/registry/masterleases/<address>:<port>` with an expiry, and the `kubernetes` Service's
/// endpoints name every server whose record has not expired — not only the last that wrote them.
/// A server that dies drops out one TTL after its last renewal; one that stops cleanly removes its
/// record at once.
///
/// The expiry is wall-clock time written by the renewing server, so servers' clocks must agree to
/// well within the TTL (as upstream's etcd TTL leases need no clock, this is the one difference).
struct APIServerLeases: Sendable {
    /// Under `/registry/` as upstream's: the watch cache follows only that prefix, and a write
    /// outside it would advance the store's revision past what the cache can ever reach, so
    /// consistent reads would time out. No resource maps to it, so no API request sees it.
    static let prefix = "/registry/masterleases/"
    /// Upstream's `--endpoint-reconciler` lease TTL.
    static let ttl: TimeInterval = 15

    struct Record: Codable, Hashable, Sendable {
        var address: String
        var port: Int
        /// Seconds since 1970 after which the record no longer counts.
        var expires: Double
    }

    /// One live server's address and port.
    struct Member: Hashable, Sendable, Comparable {
        var address: String
        var port: Int

        static func < (lhs: Member, rhs: Member) -> Bool {
            (lhs.port, IPv4CIDR.parseAddress(lhs.address) ?? 0, lhs.address)
                < (rhs.port, IPv4CIDR.parseAddress(rhs.address) ?? 0, rhs.address)
        }
    }

    var store: any Store

    static func key(address: String, port: Int) -> String { prefix + "\(address):\(port)" }

    /// Writes (or extends) this server's record for another TTL.
    func renew(address: String, port: Int, now: Date = Date()) async throws {
        let key = Self.key(address: address, port: port)
        let value = try JSONEncoder().encode(Record(address: address, port: port,
                                                    expires: now.timeIntervalSince1970 + Self.ttl))
        for _ in 0..<3 {
            do {
                if let existing = try await store.get(key: key, revision: nil) {
                    _ = try await store.update(key: key, value: [UInt8](value), expectedRevision: existing.modRevision)
                } else {
                    _ = try await store.create(key: key, value: [UInt8](value))
                }
                return
            } catch StoreError.conflict, StoreError.keyExists, StoreError.notFound {
                continue
            }
        }
    }

    /// The servers whose records have not expired, sorted; expired records are deleted on the way.
    func live(now: Date = Date()) async throws -> [Member] {
        var members: Set<Member> = []
        for item in try await store.range(prefix: Self.prefix, startKey: nil, limit: nil, revision: nil).items {
            guard let record = try? JSONDecoder().decode(Record.self, from: Data(item.value)),
                  record.expires > now.timeIntervalSince1970 else {
                _ = try? await store.delete(key: item.key, expectedRevision: item.modRevision)
                continue
            }
            members.insert(Member(address: record.address, port: record.port))
        }
        return members.sorted()
    }

    /// Removes this server's record (clean shutdown), so clients stop being sent to it at once.
    func remove(address: String, port: Int) async {
        _ = try? await store.delete(key: Self.key(address: address, port: port), expectedRevision: nil)
    }
}
