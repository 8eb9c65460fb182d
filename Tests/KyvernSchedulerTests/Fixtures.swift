import KyvernAPI
@testable import KyvernScheduler

/// Builds node and pod objects as the API server stores them.
enum Fixtures {
    static func node(_ name: String, cpu: String = "4", memory: String = "8Gi", pods: Int64 = 110,
                     extra: [String: JSONValue] = [:], labels: [String: String] = [:],
                     taints: [JSONValue] = [], unschedulable: Bool = false) -> JSONValue {
        var allocatable: [String: JSONValue] = ["cpu": .string(cpu), "memory": .string(memory),
                                                "ephemeral-storage": "100Gi", "pods": .string(String(pods))]
        allocatable.merge(extra) { $1 }
        var spec: [String: JSONValue] = [:]
        if !taints.isEmpty { spec["taints"] = .array(taints) }
        if unschedulable { spec["unschedulable"] = true }
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })],
            "spec": .object(spec),
            "status": ["allocatable": .object(allocatable), "capacity": .object(allocatable)],
        ]
    }

    static func container(_ name: String = "c", requests: [String: JSONValue]? = nil,
                          extra: [String: JSONValue] = [:]) -> JSONValue {
        var c: [String: JSONValue] = ["name": .string(name), "image": "nginx"]
        if let requests { c["resources"] = ["requests": .object(requests)] }
        c.merge(extra) { $1 }
        return .object(c)
    }

    static func pod(_ name: String = "p", namespace: String = "default",
                    requests: [String: JSONValue]? = nil, spec: [String: JSONValue] = [:]) -> JSONValue {
        var s: [String: JSONValue] = ["containers": [container(requests: requests)]]
        s.merge(spec) { $1 }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "spec": .object(s),
        ]
    }

    static func taint(_ key: String, _ value: String = "", effect: String) -> JSONValue {
        ["key": .string(key), "value": .string(value), "effect": .string(effect)]
    }
}
