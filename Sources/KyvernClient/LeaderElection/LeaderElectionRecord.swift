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

    /// Reads `spec` of a coordination.k8s.io/v1 Lease; absent fields read as empty/zero.
    public init(lease: JSONValue) {
        let spec = lease["spec"]
        holderIdentity = spec?["holderIdentity"]?.stringValue ?? ""
        leaseDurationSeconds = spec?["leaseDurationSeconds"]?.intValue ?? 0
        acquireTime = spec?["acquireTime"]?.stringValue
        renewTime = spec?["renewTime"]?.stringValue
        leaseTransitions = spec?["leaseTransitions"]?.intValue ?? 0
    }

    /// The Lease `spec` holding this record.
    public var spec: JSONValue {
        var spec: [String: JSONValue] = [
            "holderIdentity": .string(holderIdentity),
            "leaseDurationSeconds": .int(leaseDurationSeconds),
            "leaseTransitions": .int(leaseTransitions),
        ]
        if let acquireTime { spec["acquireTime"] = .string(acquireTime) }
        if let renewTime { spec["renewTime"] = .string(renewTime) }
        return .object(spec)
    }

    /// A new Lease object carrying this record.
    public func lease(namespace: String, name: String) -> JSONValue {
        [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": spec,
        ]
    }
}
