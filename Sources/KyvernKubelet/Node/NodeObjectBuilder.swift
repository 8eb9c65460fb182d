import Foundation
import KyvernAPI

/// The Node a real agent registers and the status it reports; no I/O.
struct NodeObjectBuilder: Sendable {
    var nodeName: String
    var machine: MachineInfo
    var runtimeVersion: String
    var kubeletVersion: String
    var kubeletPort: Int
    var maxPods = 110
    var thresholds = EvictionThresholds()
    /// `--pod-cidr`: registered with the Node, so the controller manager never assigns another.
    var podCIDR: String?

    static let architecture = "amd64"

    func node(conditions: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(nodeName),
                "labels": .object(labels.mapValues { .string($0) }),
                "annotations": [
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                ],
            ],
            "spec": podCIDR.map { ["podCIDR": .string($0), "podCIDRs": [.string($0)]] } ?? [:],
            "status": status(conditions: conditions),
        ]
    }

    var labels: [String: String] {
        [
            "kubernetes.io/hostname": nodeName,
            "kubernetes.io/os": "linux", "kubernetes.io/arch": Self.architecture,
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": Self.architecture,
        ]
    }

    /// Capacity as the machine has it: cores, MemTotal in Ki, the data directory's filesystem in Ki.
    var capacity: JSONValue {
        [
            "cpu": .string(String(machine.cores)),
            "memory": .string("\(machine.memoryBytes / 1024)Ki"),
            "ephemeral-storage": .string("\(machine.ephemeralStorageBytes / 1024)Ki"),
            "hugepages-1Gi": "0", "hugepages-2Mi": "0",
            "pods": .string(String(maxPods)),
        ]
    }

    /// Capacity less the hard eviction thresholds, as upstream's node allocatable is computed with no
    /// kube/system reservations: memory minus 100Mi, ephemeral storage minus 10% (in bytes).
    var allocatable: JSONValue {
        let memory = max(0, machine.memoryBytes - thresholds.memoryAvailableBytes)
        let reservedStorage = Int64((Double(machine.ephemeralStorageBytes) * thresholds.nodefsAvailableFraction).rounded(.up))
        let storage = max(0, machine.ephemeralStorageBytes - reservedStorage)
        return [
            "cpu": .string(String(machine.cores)),
            "memory": .string(memory % 1024 == 0 ? "\(memory / 1024)Ki" : String(memory)),
            "ephemeral-storage": .string(String(storage)),
            "hugepages-1Gi": "0", "hugepages-2Mi": "0",
            "pods": .string(String(maxPods)),
        ]
    }

    /// The status; `volumesInUse` (claim-backed volumes of this node's pods) only when there are some.
    func status(conditions: [JSONValue], volumesInUse: [String] = []) -> JSONValue {
        var status: JSONValue = [
            "capacity": capacity,
            "allocatable": allocatable,
            "conditions": .array(conditions),
            "addresses": [
                ["type": "InternalIP", "address": .string(machine.internalIP)],
                ["type": "Hostname", "address": .string(nodeName)],
            ],
            "daemonEndpoints": ["kubeletEndpoint": ["Port": .int(Int64(kubeletPort))]],
            "nodeInfo": [
                "machineID": .string(machine.machineID),
                "systemUUID": .string(machine.systemUUID),
                "bootID": .string(machine.bootID),
                "kernelVersion": .string(machine.kernelVersion),
                "osImage": .string(machine.osImage),
                "containerRuntimeVersion": .string(runtimeVersion),
                "kubeletVersion": .string(kubeletVersion),
                "operatingSystem": "linux",
                "architecture": .string(Self.architecture),
            ],
        ]
        if !volumesInUse.isEmpty { status["volumesInUse"] = .array(volumesInUse.map { .string($0) }) }
        return status
    }

    /// The status with heartbeat times removed: what decides whether anything changed.
    static func comparable(_ status: JSONValue) -> JSONValue {
        var status = status
        if let conditions = status["conditions"]?.arrayValue {
            status["conditions"] = .array(conditions.map { c in
                var c = c
                c["lastHeartbeatTime"] = nil
                return c
            })
        }
        return status
    }
}
