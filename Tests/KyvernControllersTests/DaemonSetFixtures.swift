import Foundation
import KyvernAPI

/// DaemonSets and nodes as the API server stores them.
enum Daemons {
    static func daemonSet(_ name: String = "agent", image: String = "agent:1", strategy: JSONValue? = nil,
                          podSpec: [String: JSONValue] = [:], minReadySeconds: Int64 = 0, generation: Int64 = 1,
                          status: JSONValue = ["currentNumberScheduled": 0, "numberMisscheduled": 0,
                                               "desiredNumberScheduled": 0, "numberReady": 0]) -> JSONValue {
        var spec: [String: JSONValue] = ["containers": [["name": "c", "image": .string(image)]]]
        for (key, value) in podSpec { spec[key] = value }
        var dsSpec: [String: JSONValue] = [
            "selector": ["matchLabels": ["app": .string(name)]],
            "template": ["metadata": ["labels": ["app": .string(name)]], "spec": .object(spec)],
            "updateStrategy": strategy ?? ["type": "RollingUpdate", "rollingUpdate": ["maxUnavailable": 1, "maxSurge": 0]],
            "revisionHistoryLimit": 10,
        ]
        if minReadySeconds > 0 { dsSpec["minReadySeconds"] = .int(minReadySeconds) }
        return ["apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": ["name": .string(name), "namespace": "default", "uid": .string("ds-uid-\(name)"),
                             "generation": .int(generation), "resourceVersion": "1",
                             "creationTimestamp": "2026-01-01T00:00:00Z"],
                "spec": .object(dsSpec), "status": status]
    }

    static func node(_ name: String, labels: [String: String] = [:], taints: [JSONValue] = []) -> JSONValue {
        var labels = labels
        labels["kubernetes.io/hostname"] = name
        var spec: [String: JSONValue] = [:]
        if !taints.isEmpty { spec["taints"] = .array(taints) }
        return ["apiVersion": "v1", "kind": "Node",
                "metadata": ["name": .string(name), "uid": .string("node-uid-\(name)"), "resourceVersion": "1",
                             "labels": .object(labels.mapValues(JSONValue.string))],
                "spec": .object(spec)]
    }

    static func taint(_ key: String, _ effect: String, value: String? = nil) -> JSONValue {
        var taint: [String: JSONValue] = ["key": .string(key), "effect": .string(effect)]
        if let value { taint["value"] = .string(value) }
        return .object(taint)
    }

    static func ref(to ds: JSONValue) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "DaemonSet", "name": .string(ds.name ?? ""), "uid": .string(ds.uid ?? ""),
         "controller": true, "blockOwnerDeletion": true]
    }

    /// A daemon pod of `ds` on `node` carrying revision `hash`.
    static func pod(_ name: String, of ds: JSONValue, node: String, hash: String, ready: Bool = true,
                    phase: String = "Running", created: String = "2026-01-01T00:00:00Z", deleting: Bool = false) -> JSONValue {
        Pods.pod(name, labels: ["app": ds.name ?? "", "controller-revision-hash": hash], node: node, phase: phase,
                 ready: ready, created: created, owner: ref(to: ds), deleting: deleting)
    }
}
