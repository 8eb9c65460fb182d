import Foundation
import KyvernRuntime
@testable import KyvernRuntimeCRI
import Testing

@Suite struct CRIResponsesTests {
    @Test func nanosecondTimestamps() {
        #expect(CRIResponses.date(nanoseconds: 0) == nil)
        #expect(CRIResponses.date(nanoseconds: 1_500_000_000) == Date(timeIntervalSince1970: 1.5))
    }

    @Test func exitedContainerStatus() {
        var message = Runtime_V1_ContainerStatus()
        message.id = "c1"
        message.metadata.name = "main"
        message.metadata.attempt = 4
        message.state = .containerExited
        message.createdAt = 1_000_000_000
        message.startedAt = 2_000_000_000
        message.finishedAt = 3_000_000_000
        message.exitCode = 137
        message.reason = "OOMKilled"
        message.message = "killed"
        message.image.image = "busybox"
        message.imageRef = "sha256:abc"
        message.logPath = "/var/log/pods/x/main/4.log"
        message.labels = ["io.kubernetes.container.name": "main"]
        let status = CRIResponses.containerStatus(message, sandboxID: "s1", pid: 42)
        #expect(status.id == "c1" && status.sandboxID == "s1")
        #expect(status.metadata == ContainerMetadata(name: "main", attempt: 4))
        #expect(status.state == .exited && status.exitCode == 137 && status.reason == "OOMKilled" && status.message == "killed")
        #expect(status.createdAt == Date(timeIntervalSince1970: 1) && status.startedAt == Date(timeIntervalSince1970: 2))
        #expect(status.finishedAt == Date(timeIntervalSince1970: 3))
        #expect(status.image == "busybox" && status.imageID == "sha256:abc" && status.logPath == "/var/log/pods/x/main/4.log")
        #expect(status.pid == nil, "an exited container has no process")
        #expect(status.labels == ["io.kubernetes.container.name": "main"])
    }

    @Test func runningContainerHasNoExitCodeButItsPid() {
        var message = Runtime_V1_ContainerStatus()
        message.state = .containerRunning
        message.startedAt = 5
        let status = CRIResponses.containerStatus(message, sandboxID: "s", pid: 42)
        #expect(status.state == .running && status.exitCode == nil && status.pid == 42 && status.finishedAt == nil)
    }

    @Test func containerStatesBothWays() {
        for state in [ContainerStatus.State.created, .running, .exited, .unknown] {
            #expect(CRIResponses.containerState(CRIResponses.containerState(state)) == state)
        }
        #expect(CRIResponses.containerState(Runtime_V1_ContainerState.UNRECOGNIZED(9)) == .unknown)
    }

    @Test func verboseInfoGivesSandboxAndPid() {
        let info = ["info": #"{"sandboxID":"sb-1","pid":1234,"runtimeSpec":{}}"#]
        let parsed = CRIResponses.verboseInfo(info)
        #expect(parsed.sandboxID == "sb-1" && parsed.pid == 1234)
        #expect(CRIResponses.verboseInfo([:]).sandboxID == nil)
        #expect(CRIResponses.verboseInfo(["info": #"{"pid":0}"#]).pid == nil)
        #expect(CRIResponses.verboseInfo(["info": "not json"]).sandboxID == nil)
    }

    @Test func sandboxStatusWithAddresses() {
        var message = Runtime_V1_PodSandboxStatus()
        message.id = "sb"
        message.metadata.name = "web"
        message.metadata.namespace = "prod"
        message.metadata.uid = "u"
        message.metadata.attempt = 1
        message.state = .sandboxNotready
        message.createdAt = 1_000_000_000
        message.network.ip = "10.91.0.5"
        var second = Runtime_V1_PodIP()
        second.ip = "fd00::5"
        message.network.additionalIps = [second]
        message.labels = ["io.kubernetes.pod.uid": "u"]
        let status = CRIResponses.sandboxStatus(message)
        #expect(status.id == "sb" && status.metadata == PodSandboxMetadata(name: "web", namespace: "prod", uid: "u", attempt: 1))
        #expect(status.state == .notReady && status.ips == ["10.91.0.5", "fd00::5"])
        #expect(status.createdAt == Date(timeIntervalSince1970: 1) && status.labels == ["io.kubernetes.pod.uid": "u"])
        var hostNetwork = message
        hostNetwork.network = Runtime_V1_PodSandboxNetworkStatus()
        #expect(CRIResponses.sandboxStatus(hostNetwork).ips.isEmpty)
    }

    @Test func statsTakeCumulativeCPUAndWorkingSet() {
        var message = Runtime_V1_ContainerStats()
        message.attributes.id = "c"
        message.cpu.timestamp = 2_000_000_000
        message.cpu.usageCoreNanoSeconds.value = 123_456
        message.memory.timestamp = 1_000_000_000
        message.memory.workingSetBytes.value = 1000
        message.memory.usageBytes.value = 1500
        let stats = CRIResponses.stats(message)
        #expect(stats.containerID == "c" && stats.cpuUsageCoreNanoSeconds == 123_456)
        #expect(stats.memoryWorkingSetBytes == 1000 && stats.memoryUsageBytes == 1500)
        #expect(stats.timestamp == Date(timeIntervalSince1970: 2))
    }

    @Test func imageUserFromNameOrUID() {
        var message = Runtime_V1_Image()
        message.id = "sha256:1"
        message.repoTags = ["127.0.0.1:5000/busybox:e2e"]
        message.repoDigests = ["127.0.0.1:5000/busybox@sha256:2"]
        message.size = 900
        message.uid.value = 65534
        let image = CRIResponses.image(message)
        #expect(image.id == "sha256:1" && image.repoTags == ["127.0.0.1:5000/busybox:e2e"] && image.size == 900)
        #expect(image.repoDigests == ["127.0.0.1:5000/busybox@sha256:2"] && image.config.user == "65534")
        message.username = "nobody"
        #expect(CRIResponses.image(message).config.user == "nobody")
    }

    @Test func execTimeoutRecognised() {
        #expect(CRIResponses.isExecTimeout(true, message: ""))
        #expect(CRIResponses.isExecTimeout(false, message: "command timeout 1s exceeded"))
        #expect(!CRIResponses.isExecTimeout(false, message: "container not running"))
    }

    @Test func sandboxStatsCarryTheSandboxCgroupAndItsContainers() {
        var message = Runtime_V1_PodSandboxStats()
        message.attributes.id = "sb1"
        message.linux.cpu.timestamp = 2_000_000_000
        message.linux.cpu.usageCoreNanoSeconds.value = 900
        message.linux.memory.workingSetBytes.value = 4096
        message.linux.memory.usageBytes.value = 8192
        var container = Runtime_V1_ContainerStats()
        container.attributes.id = "c1"
        container.cpu.usageCoreNanoSeconds.value = 700
        message.linux.containers = [container]
        let stats = CRIResponses.sandboxStats(message)
        #expect(stats.sandboxID == "sb1" && stats.timestamp == Date(timeIntervalSince1970: 2))
        #expect(stats.cpuUsageCoreNanoSeconds == 900 && stats.memoryWorkingSetBytes == 4096 && stats.memoryUsageBytes == 8192)
        #expect(stats.containers.map(\.containerID) == ["c1"] && stats.containers.first?.cpuUsageCoreNanoSeconds == 700)
    }

    @Test func containerEventNamesItsPod() {
        var message = Runtime_V1_ContainerEventResponse()
        message.containerID = "c1"
        message.containerEventType = .containerStoppedEvent
        message.podSandboxStatus.id = "sb1"
        message.podSandboxStatus.metadata.uid = "uid-1"
        #expect(CRIResponses.containerEvent(message) == ContainerEvent(containerID: "c1", kind: .stopped, sandboxID: "sb1", podUID: "uid-1"))
        message.podSandboxStatus = Runtime_V1_PodSandboxStatus()
        message.containerEventType = .containerDeletedEvent
        #expect(CRIResponses.containerEvent(message).podUID == nil && CRIResponses.containerEvent(message).kind == .deleted)
    }

    @Test func imageFilesystemUsage() {
        var message = Runtime_V1_FilesystemUsage()
        message.fsID.mountpoint = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
        message.usedBytes.value = 1 << 20
        message.inodesUsed.value = 42
        let usage = CRIResponses.filesystemUsage(message)
        #expect(usage.mountpoint.hasSuffix("overlayfs") && usage.usedBytes == 1 << 20 && usage.inodesUsed == 42)
    }

    @Test func reservedNameOwnerFromContainerdsMessage() {
        let message = #"failed to reserve container name "c_p_ns_uid_0": name "c_p_ns_uid_0" is reserved for "918423058e05""#
        #expect(CRIResponses.reservedNameOwner(message) == "918423058e05")
        #expect(CRIResponses.reservedNameOwner("failed to create containerd task: oom") == nil)
        #expect(CRIResponses.reservedNameOwner(#"failed to reserve container name "x": name "x" is reserved for """#) == nil)
    }
}
