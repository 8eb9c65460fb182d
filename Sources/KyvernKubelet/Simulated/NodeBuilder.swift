import Foundation
import KyvernAPI

/// The Node objects a kubelet would register and report, for simulated node `index`; no I/O.
enum NodeBuilder {
    /// The whole Node as registered: labels, taints, pod range, and a Ready status stamped `now`.
    static func node(index: Int, config: SimulatedNodeConfig, now: Date) -> JSONValue {
        let name = config.nodeName(index)
        let metadata: [String: JSONValue] = [
            "name": .string(name),
            "labels": .object(labels(index: index, config: config).mapValues { .string($0) }),
            "annotations": [
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            ],
        ]
        let cidr = NodeAddressing.podCIDR(index)
        var spec: [String: JSONValue] = ["podCIDR": .string(cidr), "podCIDRs": [.string(cidr)]]
        if !config.taints.isEmpty { spec["taints"] = .array(config.taints.map(\.json)) }
        return [
            "apiVersion": "v1", "kind": "Node",
            "metadata": .object(metadata),
            "spec": .object(spec),
            "status": status(index: index, config: config, now: now),
        ]
    }

    /// What a kubelet labels its node with, then the user's `--node-labels` on top.
    static func labels(index: Int, config: SimulatedNodeConfig) -> [String: String] {
        var labels = [
            "kubernetes.io/hostname": config.nodeName(index),
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": config.architecture,
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": config.architecture,
            "node.kubernetes.io/instance-type": "simulated",
        ]
        if let zone = config.zone(index) { labels["topology.kubernetes.io/zone"] = zone }
        labels.merge(config.labels) { _, user in user }
        return labels
    }

    static func resources(_ config: SimulatedNodeConfig) -> JSONValue {
        [
            "cpu": .string(config.cpu.canonical),
            "memory": .string(config.memory.canonical),
            "pods": .string(String(config.maxPods)),
            "ephemeral-storage": .string(config.ephemeralStorage.canonical),
        ]
    }

    static func status(index: Int, config: SimulatedNodeConfig, now: Date) -> JSONValue {
        let name = config.nodeName(index)
        let id = machineID(name)
        return [
            "capacity": resources(config),
            "allocatable": resources(config),
            "conditions": .array(conditions(heartbeat: now, transition: now)),
            "addresses": [
                ["type": "InternalIP", "address": .string(NodeAddressing.internalIP(index))],
                ["type": "Hostname", "address": .string(name)],
            ],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": 10250]],
            "nodeInfo": [
                "machineID": .string(id),
                "systemUUID": .string(uuid(id)),
                "bootID": .string(uuid(machineID("boot/" + name))),
                "kernelVersion": "simulated",
                "osImage": "Kyvern simulated node",
                "containerRuntimeVersion": .string("simulated://\(config.kubeletVersion)"),
                "kubeletVersion": .string(config.kubeletVersion),
                "operatingSystem": "linux",
                "architecture": .string(config.architecture),
            ],
        ]
    }

    /// The four conditions a healthy kubelet reports, in its order.
    static func conditions(heartbeat: Date, transition: Date?) -> [JSONValue] {
        let beat = JSONValue.string(Timestamp.format(heartbeat))
        let rows: [(String, String, String, String)] = [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]
        return rows.map { type, status, reason, message in
            var condition: JSONValue = [
                "type": .string(type), "status": .string(status), "reason": .string(reason),
                "message": .string(message), "lastHeartbeatTime": beat,
            ]
            if let transition { condition["lastTransitionTime"] = .string(Timestamp.format(transition)) }
            return condition
        }
    }

    /// A strategic-merge patch of `status` refreshing every condition's heartbeat; conditions merge by
    /// type, so their transition times stay as they are.
    static func heartbeatPatch(now: Date) -> JSONValue {
        ["status": ["conditions": .array(conditions(heartbeat: now, transition: nil))]]
    }

    /// The Node to write when one of this name already exists: its identity, resourceVersion and
    /// pod range kept (a pod range cannot change once set), ours for everything else.
    static func replacing(existing: JSONValue, with desired: JSONValue) -> JSONValue {
        var node = desired
        var metadata = existing["metadata"]?.objectValue ?? [:]
        var labels = metadata["labels"]?.objectValue ?? [:]
        labels.merge(desired[path: ["metadata", "labels"]]?.objectValue ?? [:]) { _, ours in ours }
        metadata["labels"] = .object(labels)
        var annotations = metadata["annotations"]?.objectValue ?? [:]
        annotations.merge(desired[path: ["metadata", "annotations"]]?.objectValue ?? [:]) { _, ours in ours }
        metadata["annotations"] = .object(annotations)
        node["metadata"] = .object(metadata)
        if let cidr = existing[path: ["spec", "podCIDR"]], cidr.stringValue?.isEmpty == false {
            node[path: ["spec", "podCIDR"]] = cidr
            node[path: ["spec", "podCIDRs"]] = existing[path: ["spec", "podCIDRs"]] ?? [cidr]
        }
        if let unschedulable = existing[path: ["spec", "unschedulable"]] {
            node[path: ["spec", "unschedulable"]] = unschedulable  // a cordon survives the agent's restart
        }
        return node
    }

    /// A stable 32-hex-digit id derived from the name (FNV-1a, twice with different seeds).
    static func machineID(_ name: String) -> String {
        func fnv(_ seed: UInt64) -> UInt64 {
            var hash: UInt64 = seed
            for byte in name.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return hash
        }
        func hex16(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return hex16(fnv(0xcbf2_9ce4_8422_2325)) + hex16(fnv(0x8422_2325_cbf2_9ce4))
    }

    static func uuid(_ hex: String) -> String {
        let h = Array(hex.prefix(32))
        return [h[0..<8], h[8..<12], h[12..<16], h[16..<20], h[20..<32]].map { String($0) }.joined(separator: "-")
    }
}
