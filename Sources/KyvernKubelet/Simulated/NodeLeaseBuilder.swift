import Foundation
import KyvernAPI

/// The Lease in `kube-node-lease` through which a kubelet says "still alive" cheaply, between the
/// rarer full status reports; no I/O.
enum NodeLeaseBuilder {
    static let namespace = "kube-node-lease"

    /// A new Lease for `node`, owned by the Node object (so it goes when the node is deleted).
    static func lease(node: String, nodeUID: String?, renewTime: Date) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(node), "namespace": .string(namespace)]
        if let nodeUID {
            metadata["ownerReferences"] = [[
                "apiVersion": "v1", "kind": "Node", "name": .string(node), "uid": .string(nodeUID),
            ]]
        }
        return [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": .object(metadata),
            "spec": spec(node: node, renewTime: renewTime),
        ]
    }

    static func spec(node: String, renewTime: Date) -> JSONValue {
        [
            "holderIdentity": .string(node),
            "leaseDurationSeconds": .int(SimulatedNodeConfig.leaseDurationSeconds),
            "renewTime": .string(Timestamp.formatMicro(renewTime)),
        ]
    }

    /// A merge patch renewing the Lease: no resourceVersion needed, as only this agent writes it.
    static func renewal(node: String, renewTime: Date) -> JSONValue {
        ["spec": spec(node: node, renewTime: renewTime)]
    }
}
