import Foundation
public import KyvernAPI

/// What a Lease's spec says about its holder; compared between polls to notice any change.
///
/// Times are kept as the MicroTime text the server stores (microsecond RFC 3339), so a record read
/// back compares equal to the one written.
public struct LeaderElectionRecord: Sendable, Hashable {
    public var holderIdentity: String
    public var leaseDurationSeconds: Int64
    public var acquireTime: String?
    public var renewTime: String?
    public var leaseTransitions: Int64

    public init(holderIdentity: String, leaseDurationSeconds: Int64, acquireTime: String?, renewTime: String?,
                leaseTransitions: Int64) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
    }

    /// Reads a Lease's spec; absent fields read as empty/zero.
    public init(spec: CoordinationV1.LeaseSpec?) {
        holderIdentity = spec?.holderIdentity ?? ""
        leaseDurationSeconds = Int64(spec?.leaseDurationSeconds ?? 0)
        acquireTime = spec?.acquireTime
        renewTime = spec?.renewTime
        leaseTransitions = Int64(spec?.leaseTransitions ?? 0)
    }

    /// Reads `spec` of a coordination.k8s.io/v1 Lease given as JSON; absent or malformed fields read as empty/zero.
    public init(lease: JSONValue) {
        self.init(spec: lease["spec"].flatMap { try? CoordinationV1.LeaseSpec(json: $0) })
    }

    /// The Lease spec holding this record (holder, duration and transitions always written).
    public var leaseSpec: CoordinationV1.LeaseSpec {
        CoordinationV1.LeaseSpec(acquireTime: acquireTime, holderIdentity: holderIdentity,
                                 leaseDurationSeconds: Int32(clamping: leaseDurationSeconds),
                                 leaseTransitions: Int32(clamping: leaseTransitions), renewTime: renewTime)
    }

    /// The Lease `spec` holding this record, as JSON.
    public var spec: JSONValue { leaseSpec.json }

    /// A new Lease carrying this record.
    public func typedLease(namespace: String, name: String) -> CoordinationV1.Lease {
        CoordinationV1.Lease(metadata: MetaV1.ObjectMeta(name: name, namespace: namespace), spec: leaseSpec)
    }

    /// A new Lease object carrying this record, as JSON.
    public func lease(namespace: String, name: String) -> JSONValue {
        typedLease(namespace: namespace, name: name).json
    }
}
