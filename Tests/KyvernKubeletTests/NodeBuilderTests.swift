import Foundation
import KyvernAPI
import Testing

@testable import KyvernKubelet

@Suite("Simulated node objects")
struct NodeBuilderTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T...

    func config() throws -> SimulatedNodeConfig {
        var config = SimulatedNodeConfig(count: 5)
        config.namePrefix = "sim"
        config.cpu = Quantity(8)
        config.memory = try Quantity(parsing: "32Gi")
        config.maxPods = 50
        config.ephemeralStorage = try Quantity(parsing: "200Gi")
        config.zones = 3
        config.labels = ["disktype": "ssd", "node.kubernetes.io/instance-type": "big"]
        config.taints = [NodeTaint(key: "dedicated", value: "sim", effect: "NoSchedule")]
        config.architecture = "amd64"
        return config
    }

    @Test func nodeCarriesKubeletLabelsZonesAndUserLabels() throws {
        let node = NodeBuilder.node(index: 4, config: try config(), now: now)
        #expect(node["kind"] == "Node")
        #expect(node[path: ["metadata", "name"]] == "sim-4")
        let labels = node[path: ["metadata", "labels"]]?.objectValue ?? [:]
        #expect(labels == [
            "kubernetes.io/hostname": "sim-4", "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": "big",  // the user's value wins
            "topology.kubernetes.io/zone": "zone-1", "disktype": "ssd",
        ])
    }

    @Test func noZoneLabelWithoutZones() throws {
        var config = try config()
        config.zones = 0
        let node = NodeBuilder.node(index: 0, config: config, now: now)
        #expect(node[path: ["metadata", "labels", "topology.kubernetes.io/zone"]] == nil)
    }

    @Test func specHasPodRangeAndTaints() throws {
        let node = NodeBuilder.node(index: 257, config: try config(), now: now)
        #expect(node[path: ["spec", "podCIDR"]] == "10.129.1.0/24")
        #expect(node[path: ["spec", "podCIDRs"]] == ["10.129.1.0/24"])
        #expect(node[path: ["spec", "taints"]] == [["key": "dedicated", "value": "sim", "effect": "NoSchedule"]])
    }

    @Test func statusAsAKubeletReportsIt() throws {
        let status = NodeBuilder.node(index: 2, config: try config(), now: now)["status"]
        let resources: JSONValue = ["cpu": "8", "memory": "32Gi", "pods": "50", "ephemeral-storage": "200Gi"]
        #expect(status?["capacity"] == resources)
        #expect(status?["allocatable"] == resources)
        let stamp = JSONValue.string(Timestamp.format(now))
        let conditions = status?["conditions"]?.arrayValue ?? []
        #expect(conditions.map { $0["type"] } == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"])
        #expect(conditions.map { $0["status"] } == ["False", "False", "False", "True"])
        #expect(conditions[3]["reason"] == "KubeletReady")
        #expect(conditions[3]["message"] == "kubelet is posting ready status")
        #expect(conditions.allSatisfy { $0["lastHeartbeatTime"] == stamp && $0["lastTransitionTime"] == stamp })
        #expect(status?["addresses"] == [["type": "InternalIP", "address": "172.16.0.3"], ["type": "Hostname", "address": "sim-2"]])
        let info = status?["nodeInfo"]
        #expect(info?["kubeletVersion"] == "v1.36.0")
        #expect(info?["containerRuntimeVersion"] == "simulated://v1.36.0")
        #expect(info?["operatingSystem"] == "linux")
        #expect(info?["architecture"] == "amd64")
        #expect(info?["machineID"]?.stringValue?.count == 32)
        #expect(info?["systemUUID"]?.stringValue?.count == 36)
    }

    @Test func machineIDsDifferPerNodeAndAreStable() {
        #expect(NodeBuilder.machineID("sim-1") == NodeBuilder.machineID("sim-1"))
        #expect(NodeBuilder.machineID("sim-1") != NodeBuilder.machineID("sim-2"))
    }

    @Test func heartbeatPatchKeepsTransitionTimes() {
        let patch = NodeBuilder.heartbeatPatch(now: now)
        let conditions = patch[path: ["status", "conditions"]]?.arrayValue ?? []
        #expect(conditions.count == 4)
        #expect(conditions.allSatisfy { $0["lastTransitionTime"] == nil && $0["lastHeartbeatTime"] == .string(Timestamp.format(now)) })
    }

    @Test func replacingAnExistingNodeKeepsIdentityPodRangeAndCordon() throws {
        let desired = NodeBuilder.node(index: 0, config: try config(), now: now)
        let existing: JSONValue = [
            "apiVersion": "v1", "kind": "Node",
            "metadata": ["name": "sim-0", "uid": "u-1", "resourceVersion": "42", "labels": ["team": "a", "disktype": "hdd"]],
            "spec": ["podCIDR": "10.9.9.0/24", "podCIDRs": ["10.9.9.0/24"], "unschedulable": true],
        ]
        let node = NodeBuilder.replacing(existing: existing, with: desired)
        #expect(node[path: ["metadata", "uid"]] == "u-1")
        #expect(node[path: ["metadata", "resourceVersion"]] == "42")
        #expect(node[path: ["metadata", "labels", "team"]] == "a")
        #expect(node[path: ["metadata", "labels", "disktype"]] == "ssd")
        #expect(node[path: ["spec", "podCIDR"]] == "10.9.9.0/24")
        #expect(node[path: ["spec", "unschedulable"]] == true)
        #expect(node[path: ["spec", "taints"]] == desired[path: ["spec", "taints"]])
    }

    @Test func leaseAsTheKubeletWritesIt() {
        let lease = NodeLeaseBuilder.lease(node: "sim-3", nodeUID: "uid-3", renewTime: now)
        #expect(lease[path: ["metadata", "namespace"]] == "kube-node-lease")
        #expect(lease[path: ["metadata", "name"]] == "sim-3")
        #expect(lease[path: ["metadata", "ownerReferences"]] == [["apiVersion": "v1", "kind": "Node", "name": "sim-3", "uid": "uid-3"]])
        #expect(lease["spec"] == ["holderIdentity": "sim-3", "leaseDurationSeconds": 40,
                                  "renewTime": .string(Timestamp.formatMicro(now))])
        #expect(Timestamp.formatMicro(now).hasSuffix(".000000Z"))
        #expect(NodeLeaseBuilder.renewal(node: "sim-3", renewTime: now) == ["spec": lease["spec"]!])
    }
}
