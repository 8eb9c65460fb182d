import Foundation
import KyvernAPI

/// Builds pod and ReplicaSet objects as the API server stores them.
enum Pods {
    static func pod(_ name: String, namespace: String = "default", labels: [String: String] = ["app": "web"],
                    node: String = "", phase: String = "Pending", ready: Bool = false, readySince: String? = nil,
                    created: String = "2026-01-01T00:00:00Z", owner: JSONValue? = nil, restarts: Int64 = 0,
                    deleting: Bool = false, uid: String? = nil, annotations: [String: String] = [:]) -> JSONValue {
        var metadata: [String: JSONValue] = [
            "name": .string(name), "namespace": .string(namespace), "uid": .string(uid ?? "uid-\(name)"),
            "creationTimestamp": .string(created), "resourceVersion": "1",
        ]
        if !labels.isEmpty { metadata["labels"] = .object(labels.mapValues { .string($0) }) }
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues { .string($0) }) }
        if let owner { metadata["ownerReferences"] = [owner] }
        if deleting { metadata["deletionTimestamp"] = "2026-01-01T00:10:00Z" }
        var spec: [String: JSONValue] = ["containers": [["name": "c", "image": "nginx"]]]
        if !node.isEmpty { spec["nodeName"] = .string(node) }
        var status: [String: JSONValue] = ["phase": .string(phase)]
        if ready || readySince != nil {
            status["conditions"] = [["type": "Ready", "status": ready ? "True" : "False",
                                     "lastTransitionTime": .string(readySince ?? created)]]
        }
        if restarts > 0 { status["containerStatuses"] = [["name": "c", "restartCount": .int(restarts)]] }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(spec),
                "status": .object(status)]
    }

    static func replicaSet(_ name: String, namespace: String = "default", replicas: Int64 = 3,
                           selector: [String: String] = ["app": "web"], templateLabels: [String: String]? = nil,
                           minReadySeconds: Int64 = 0, generation: Int64 = 1, uid: String? = nil,
                           status: JSONValue? = nil, owner: JSONValue? = nil) -> JSONValue {
        var metadata: [String: JSONValue] = [
            "name": .string(name), "namespace": .string(namespace), "uid": .string(uid ?? "rs-uid-\(name)"),
            "generation": .int(generation), "resourceVersion": "1", "creationTimestamp": "2026-01-01T00:00:00Z",
        ]
        if let owner { metadata["ownerReferences"] = [owner] }
        var spec: [String: JSONValue] = [
            "replicas": .int(replicas),
            "selector": ["matchLabels": .object(selector.mapValues { .string($0) })],
            "template": [
                "metadata": ["labels": .object((templateLabels ?? selector).mapValues { .string($0) })],
                "spec": ["containers": [["name": "c", "image": "nginx"]]],
            ],
        ]
        if minReadySeconds > 0 { spec["minReadySeconds"] = .int(minReadySeconds) }
        return ["apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": .object(metadata), "spec": .object(spec),
                "status": status ?? ["replicas": 0]]
    }

    static func ref(to rs: JSONValue) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string(rs.name ?? ""), "uid": .string(rs.uid ?? ""),
         "controller": true, "blockOwnerDeletion": true]
    }
}
