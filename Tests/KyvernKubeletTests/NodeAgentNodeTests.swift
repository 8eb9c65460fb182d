import Foundation
import KyvernAPI
import KyvernClient
import KyvernRuntime
import KyvernTestSupport
import Logging
import Synchronization
import Testing

@testable import KyvernKubelet

@Suite("Node registration, lease and status")
struct NodeAgentNodeTests {
    static let machine = MachineInfo(cores: 2, memoryBytes: 8_344_051_712, ephemeralStorageBytes: 62_725_623_808,
                                     kernelVersion: "6.18.0-kyvern", osImage: "Debian GNU/Linux 12 (bookworm)",
                                     machineID: "0123456789abcdef0123456789abcdef", systemUUID: "4c4c4544-0000-1000-8000-000000000000",
                                     bootID: "d0b4c1e2-0000-4000-8000-000000000001", internalIP: "192.168.1.20")

    static let healthy = NodeReadings(memoryAvailableBytes: 4 << 30, nodefsCapacityBytes: 100 << 30, nodefsAvailableBytes: 50 << 30,
                                      pidMax: 4_194_304, processes: 300)

    func reporter(_ client: FakeClient, runtime: FakeRuntime, clock: ManualClock,
                  readings: ReadingsBox) -> NodeStatusReporter {
        let builder = NodeObjectBuilder(nodeName: "node-1", machine: Self.machine, runtimeVersion: "", kubeletVersion: "v1.36.0",
                                        kubeletPort: 10250)
        return NodeStatusReporter(client: client, runtime: runtime, builder: builder, clock: clock, logger: Logger(label: "test"),
                                  readings: { readings.value.withLock { $0 } })
    }

    @Test func aHandGivenPodRangeIsRegisteredWithTheNode() {
        var builder = NodeObjectBuilder(nodeName: "node-1", machine: Self.machine, runtimeVersion: "", kubeletVersion: "v1.36.0",
                                        kubeletPort: 10250)
        #expect(builder.node(conditions: [])["spec"] == [:])
        builder.podCIDR = "10.89.0.0/16"
        #expect(builder.node(conditions: [])["spec"] == ["podCIDR": "10.89.0.0/16", "podCIDRs": ["10.89.0.0/16"]])
    }

    @Test func registersTheMachineAsItIs() async throws {
        let client = FakeClient()
        let clock = ManualClock()
        let r = reporter(client, runtime: FakeRuntime(runtimeName: "runc"), clock: clock, readings: ReadingsBox(Self.healthy))
        try await r.register()
        let node = try #require(client.object(.nodes, name: "node-1"))
        let status = try #require(node["status"])
        #expect(status["capacity"] == ["cpu": "2", "memory": "8148488Ki", "ephemeral-storage": "61255492Ki",
                                       "hugepages-1Gi": "0", "hugepages-2Mi": "0", "pods": "110"])
        // Allocatable: capacity less the hard eviction thresholds (100Mi of memory, 10% of nodefs).
        #expect(status["allocatable"] == ["cpu": "2", "memory": "8046088Ki", "ephemeral-storage": "56453061427",
                                          "hugepages-1Gi": "0", "hugepages-2Mi": "0", "pods": "110"])
        #expect(status["addresses"] == [["type": "InternalIP", "address": "192.168.1.20"], ["type": "Hostname", "address": "node-1"]])
        #expect(status[path: ["daemonEndpoints", "kubeletEndpoint", "Port"]] == 10250)
        let info = try #require(status["nodeInfo"])
        #expect(info["containerRuntimeVersion"] == "runc://1.0.0")
        #expect(info["kubeletVersion"] == "v1.36.0")
        #expect(info["kernelVersion"] == "6.18.0-kyvern")
        #expect(info["osImage"] == "Debian GNU/Linux 12 (bookworm)")
        #expect(info["operatingSystem"] == "linux")
        #expect(info["architecture"] == "amd64")
        #expect(info["machineID"] == "0123456789abcdef0123456789abcdef")
        #expect(info["bootID"] == "d0b4c1e2-0000-4000-8000-000000000001")
        let conditions = try #require(status["conditions"]?.arrayValue)
        #expect(conditions.map { $0["type"]?.stringValue ?? "" } == ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"])
        #expect(conditions.map { $0["reason"]?.stringValue ?? "" }
            == ["KubeletHasSufficientMemory", "KubeletHasNoDiskPressure", "KubeletHasSufficientPID", "KubeletReady"])
        #expect(conditions[3]["message"] == "kubelet is posting ready status")
        #expect(conditions[3]["status"] == "True")
        #expect(node[path: ["metadata", "labels", "kubernetes.io/hostname"]] == "node-1")
        #expect(node[path: ["metadata", "labels", "kubernetes.io/arch"]] == "amd64")
    }

    @Test func reRegistrationKeepsTheNodeAndItsCordon() async throws {
        let client = FakeClient()
        try client.seed(.nodes, ["apiVersion": "v1", "kind": "Node",
                                 "metadata": ["name": "node-1", "labels": ["team": "a"]], "spec": ["unschedulable": true]])
        let uid = client.object(.nodes, name: "node-1")?[path: ["metadata", "uid"]]
        let r = reporter(client, runtime: FakeRuntime(), clock: ManualClock(), readings: ReadingsBox(Self.healthy))
        try await r.register()
        let node = try #require(client.object(.nodes, name: "node-1"))
        #expect(node[path: ["metadata", "uid"]] == uid)
        #expect(node[path: ["spec", "unschedulable"]] == true)
        #expect(node[path: ["metadata", "labels", "team"]] == "a")
        #expect(node[path: ["status", "nodeInfo", "containerRuntimeVersion"]] == "fake://1.0.0")
    }

    @Test func statusIsWrittenOnlyWhenChangedOrEveryFiveMinutes() async throws {
        let client = FakeClient()
        let clock = ManualClock()
        let readings = ReadingsBox(Self.healthy)
        let box = readings
        let r = reporter(client, runtime: FakeRuntime(), clock: clock, readings: readings)
        try await r.register()
        let registeredAt = clock.now()
        client.clearActions()
        clock.advance(10)
        #expect(try await r.updateStatus() == false)
        #expect(client.writes.isEmpty)

        // Memory below 100Mi available: MemoryPressure turns True with upstream's reason.
        box.value.withLock { $0.memoryAvailableBytes = 50 << 20 }
        clock.advance(10)
        #expect(try await r.updateStatus() == true)
        #expect(client.writes.map(\.description) == ["patch nodes/status node-1"])
        let pressure = client.object(.nodes, name: "node-1")?[path: ["status", "conditions"]]?.arrayValue?
            .first { $0["type"] == "MemoryPressure" }
        #expect(pressure?["status"] == "True")
        #expect(pressure?["reason"] == "KubeletHasInsufficientMemory")
        #expect(pressure?["message"] == "kubelet has insufficient memory available")
        #expect(pressure?["lastTransitionTime"]?.stringValue == Timestamp.format(clock.now()))
        let ready = client.object(.nodes, name: "node-1")?[path: ["status", "conditions"]]?.arrayValue?
            .first { $0["type"] == "Ready" }
        #expect(ready?["lastTransitionTime"]?.stringValue == Timestamp.format(registeredAt))

        // Disk under 10% free, then PIDs under 5% free.
        box.value.withLock { $0.nodefsAvailableBytes = 5 << 30; $0.processes = 4_000_000 }
        clock.advance(10)
        #expect(try await r.updateStatus() == true)
        let conditions = client.object(.nodes, name: "node-1")?[path: ["status", "conditions"]]?.arrayValue ?? []
        #expect(conditions.first { $0["type"] == "DiskPressure" }?["reason"] == "KubeletHasDiskPressure")
        #expect(conditions.first { $0["type"] == "PIDPressure" }?["reason"] == "KubeletHasInsufficientPID")

        client.clearActions()
        clock.advance(10)
        #expect(try await r.updateStatus() == false)
        clock.advance(300)
        #expect(try await r.updateStatus() == true)
        #expect(client.writes.count == 1)
    }

    @Test func runtimeDownMakesTheNodeNotReady() async throws {
        let client = FakeClient()
        let runtime = FakeRuntime()
        let r = reporter(client, runtime: runtime, clock: ManualClock(), readings: ReadingsBox(Self.healthy))
        try await r.register()
        runtime.failNext("version", with: RuntimeError.commandFailed(command: "runc --version", exitCode: 1, output: ""))
        #expect(try await r.updateStatus() == true)
        let ready = client.object(.nodes, name: "node-1")?[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"] == "Ready" }
        #expect(ready?["status"] == "False")
        #expect(ready?["reason"] == "KubeletNotReady")
        #expect(ready?["message"] == "container runtime is down")
    }

    @Test func leaseIsCreatedThenRenewed() async throws {
        let client = FakeClient()
        let clock = ManualClock()
        let r = reporter(client, runtime: FakeRuntime(), clock: clock, readings: ReadingsBox(Self.healthy))
        try await r.register()
        try await r.renewLease()
        var lease = try #require(client.object(.leases, namespace: "kube-node-lease", name: "node-1"))
        #expect(lease[path: ["spec", "holderIdentity"]] == "node-1")
        #expect(lease[path: ["spec", "leaseDurationSeconds"]] == 40)
        #expect(lease[path: ["spec", "renewTime"]]?.stringValue == Timestamp.formatMicro(clock.now()))
        #expect(lease[path: ["metadata", "ownerReferences"]]?.arrayValue?.first?["kind"] == "Node")
        clock.advance(10)
        client.clearActions()
        try await r.renewLease()
        #expect(client.writes.map(\.description) == ["patch leases kube-node-lease/node-1"])
        lease = try #require(client.object(.leases, namespace: "kube-node-lease", name: "node-1"))
        #expect(lease[path: ["spec", "renewTime"]]?.stringValue == Timestamp.formatMicro(clock.now()))
        #expect(NodeStatusReporter.renewInterval == .seconds(10))
        #expect(NodeStatusReporter.statusUpdateInterval == .seconds(10))
    }

    @Test func machineFilesAreParsed() {
        let meminfo = "MemTotal:        8148488 kB\nMemFree:          123 kB\nMemAvailable:    4000000 kB\nHugePages_Total:       0\n"
        #expect(MachineReader.meminfo(meminfo)["MemTotal"] == 8_344_051_712)
        #expect(MachineReader.meminfo(meminfo)["HugePages_Total"] == 0)
        #expect(MachineReader.osImage("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n") == "Debian GNU/Linux 12 (bookworm)")
        #expect(MachineReader.osImage("") == "Linux")
        #expect(MachineReader.cgroupCPULimit(v1Quota: "150000\n", v1Period: "100000\n", v2Max: nil) == 2)
        #expect(MachineReader.cgroupCPULimit(v1Quota: "-1", v1Period: "100000", v2Max: "max 100000") == nil)
        #expect(MachineReader.cgroupCPULimit(v1Quota: nil, v1Period: nil, v2Max: "100000 100000\n") == 1)
        #expect(NodeReadings.processCount("0.10 0.20 0.30 2/345 6789\n") == 345)
        let live = MachineReader.read(dataDirectory: "/tmp", nodeName: "n")
        #expect(live.cores >= 1)
        #expect(live.memoryBytes > 0)
        #expect(live.ephemeralStorageBytes > 0)
        #expect(!live.kernelVersion.isEmpty)
    }
}

/// Readings a test changes while the reporter reads them.
final class ReadingsBox: Sendable {
    let value: Mutex<NodeReadings>
    init(_ readings: NodeReadings) { value = Mutex(readings) }
}
