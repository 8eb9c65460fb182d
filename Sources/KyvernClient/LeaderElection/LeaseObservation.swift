import Foundation
import KyvernAPI

/// What one candidate has seen of the Lease, and the decisions that follow from it; no I/O.
///
/// Expiry is judged as upstream judges it: not from the `renewTime` written by another machine's
/// clock, but from when *this* candidate last saw the record change, by its own monotonic clock.
/// A holder that keeps renewing keeps changing the record, so its lease never looks expired.
struct LeaseObservation: Sendable {
    let identity: String
    let leaseDurationSeconds: Int64
    /// The record last read or written.
    private(set) var record: LeaderElectionRecord?
    /// The Lease last read or written: its resourceVersion guards the next update.
    private(set) var lease: CoordinationV1.Lease?
    /// When `record` last changed, by the local clock.
    private(set) var observedAt: ContinuousClock.Instant?

    init(identity: String, leaseDuration: Duration) {
        self.identity = identity
        self.leaseDurationSeconds = max(1, leaseDuration.components.seconds)
    }

    var isLeader: Bool { record?.holderIdentity == identity }

    /// Whether the last seen record still binds others at `now`: seen changed less than its own
    /// `leaseDurationSeconds` ago.
    func leaseValid(at now: ContinuousClock.Instant) -> Bool {
        guard let record, let observedAt else { return false }
        return observedAt + .seconds(record.leaseDurationSeconds) > now
    }

    /// Takes in a Lease just read or written; the clock restarts only when the record changed.
    mutating func observe(_ lease: CoordinationV1.Lease, at now: ContinuousClock.Instant) {
        let seen = LeaderElectionRecord(spec: lease.spec)
        if seen != record {
            record = seen
            observedAt = now
        }
        self.lease = lease
    }

    /// Forgets the cached object so the next attempt reads the Lease again.
    mutating func dropCachedLease() {
        lease = nil
    }

    /// The record this candidate writes at `wallNow` to take or keep the Lease, given the one it holds
    /// now; nil when another holder's lease is still valid.
    func claim(over current: LeaderElectionRecord?, wallNow: Date, now: ContinuousClock.Instant) -> LeaderElectionRecord? {
        let stamp = Timestamp.formatMicro(wallNow)
        var desired = LeaderElectionRecord(holderIdentity: identity, leaseDurationSeconds: leaseDurationSeconds,
                                           acquireTime: stamp, renewTime: stamp, leaseTransitions: 0)
        guard let current else { return desired }
        if !current.holderIdentity.isEmpty && leaseValid(at: now) && !isLeader {
            return nil
        }
        if current.holderIdentity == identity {
            desired.acquireTime = current.acquireTime
            desired.leaseTransitions = current.leaseTransitions
        } else {
            desired.leaseTransitions = current.leaseTransitions + 1
        }
        return desired
    }

    /// The record written when a leader steps down: no holder, a one-second lease, transitions kept.
    func release(wallNow: Date) -> LeaderElectionRecord {
        let stamp = Timestamp.formatMicro(wallNow)
        return LeaderElectionRecord(holderIdentity: "", leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp,
                                    leaseTransitions: record?.leaseTransitions ?? 0)
    }
}
