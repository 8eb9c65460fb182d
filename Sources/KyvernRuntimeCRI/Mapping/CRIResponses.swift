public import Foundation
public import KyvernRuntime

/// CRI answers as the agent's value types: pure, unit tested.
package enum CRIResponses {
    /// CRI timestamps are nanoseconds since the epoch; 0 means unset.
    package static func date(nanoseconds: Int64) -> Date? {
        nanoseconds > 0 ? Date(timeIntervalSince1970: Double(nanoseconds) / 1e9) : nil
    }

    package static func sandboxMetadata(_ message: Runtime_V1_PodSandboxMetadata) -> PodSandboxMetadata {
        PodSandboxMetadata(name: message.name, namespace: message.namespace, uid: message.uid, attempt: Int(message.attempt))
    }

    package static func sandboxState(_ state: Runtime_V1_PodSandboxState) -> PodSandboxStatus.State {
        state == .sandboxReady ? .ready : .notReady
    }

    package static func sandboxStatus(_ message: Runtime_V1_PodSandboxStatus) -> PodSandboxStatus {
        var ips: [String] = []
        if !message.network.ip.isEmpty { ips.append(message.network.ip) }
        ips += message.network.additionalIps.map(\.ip).filter { !$0.isEmpty }
        return PodSandboxStatus(id: message.id, metadata: sandboxMetadata(message.metadata), state: sandboxState(message.state),
                                createdAt: date(nanoseconds: message.createdAt) ?? Date(timeIntervalSince1970: 0), ips: ips,
                                labels: message.labels, annotations: message.annotations)
    }

    package static func sandbox(_ message: Runtime_V1_PodSandbox) -> PodSandboxStatus {
        PodSandboxStatus(id: message.id, metadata: sandboxMetadata(message.metadata), state: sandboxState(message.state),
                         createdAt: date(nanoseconds: message.createdAt) ?? Date(timeIntervalSince1970: 0),
                         labels: message.labels, annotations: message.annotations)
    }

    package static func containerState(_ state: Runtime_V1_ContainerState) -> ContainerStatus.State {
        switch state {
        case .containerCreated: .created
        case .containerRunning: .running
        case .containerExited: .exited
        default: .unknown
        }
    }

    package static func containerState(_ state: ContainerStatus.State) -> Runtime_V1_ContainerState {
        switch state {
        case .created: .containerCreated
        case .running: .containerRunning
        case .exited: .containerExited
        case .unknown: .containerUnknown
        }
    }

    /// A container's status; `sandboxID` and `pid` come from elsewhere (the list, the verbose info),
    /// because the CRI's ContainerStatus does not carry them.
    package static func containerStatus(_ message: Runtime_V1_ContainerStatus, sandboxID: String, pid: Int32?) -> ContainerStatus {
        let state = containerState(message.state)
        return ContainerStatus(
            id: message.id, sandboxID: sandboxID,
            metadata: ContainerMetadata(name: message.metadata.name, attempt: Int(message.metadata.attempt)),
            state: state, createdAt: date(nanoseconds: message.createdAt) ?? Date(timeIntervalSince1970: 0),
            startedAt: date(nanoseconds: message.startedAt), finishedAt: date(nanoseconds: message.finishedAt),
            exitCode: state == .exited ? message.exitCode : nil, reason: message.reason, message: message.message,
            image: message.image.image, imageID: message.imageRef, logPath: message.logPath,
            pid: state == .running ? pid : nil, labels: message.labels, annotations: message.annotations)
    }

    /// What containerd (and CRI-O) put in the verbose `info` map under `info`: a JSON document
    /// with the sandbox id and the main process's pid.
    package static func verboseInfo(_ info: [String: String]) -> (sandboxID: String?, pid: Int32?) {
        guard let text = info["info"], let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return (nil, nil) }
        let sandboxID = object["sandboxID"] as? String
        let pid = (object["pid"] as? NSNumber).map { Int32(truncating: $0) }
        return (sandboxID, pid.flatMap { $0 > 0 ? $0 : nil })
    }

    package static func stats(_ message: Runtime_V1_ContainerStats) -> ContainerStats {
        let stamp = max(message.cpu.timestamp, message.memory.timestamp)
        return ContainerStats(containerID: message.attributes.id,
                              timestamp: date(nanoseconds: stamp) ?? Date(),
                              cpuUsageCoreNanoSeconds: message.cpu.usageCoreNanoSeconds.value,
                              memoryWorkingSetBytes: message.memory.workingSetBytes.value,
                              memoryUsageBytes: message.memory.usageBytes.value)
    }

    /// A sandbox's usage and its containers'; the sandbox's own figures are its cgroup's.
    package static func sandboxStats(_ message: Runtime_V1_PodSandboxStats) -> PodSandboxStats {
        let linux = message.linux
        let stamp = max(linux.cpu.timestamp, linux.memory.timestamp)
        return PodSandboxStats(sandboxID: message.attributes.id, timestamp: date(nanoseconds: stamp) ?? Date(),
                               cpuUsageCoreNanoSeconds: linux.cpu.usageCoreNanoSeconds.value,
                               memoryWorkingSetBytes: linux.memory.workingSetBytes.value,
                               memoryUsageBytes: linux.memory.usageBytes.value,
                               containers: linux.containers.map(stats))
    }

    package static func containerEvent(_ message: Runtime_V1_ContainerEventResponse) -> ContainerEvent {
        let kind: ContainerEvent.Kind = switch message.containerEventType {
        case .containerCreatedEvent: .created
        case .containerStartedEvent: .started
        case .containerStoppedEvent: .stopped
        default: .deleted
        }
        let sandbox = message.podSandboxStatus
        return ContainerEvent(containerID: message.containerID, kind: kind, sandboxID: sandbox.id,
                              podUID: sandbox.metadata.uid.isEmpty ? nil : sandbox.metadata.uid)
    }

    package static func filesystemUsage(_ message: Runtime_V1_FilesystemUsage) -> FilesystemUsage {
        FilesystemUsage(timestamp: date(nanoseconds: message.timestamp) ?? Date(), mountpoint: message.fsID.mountpoint,
                        usedBytes: message.usedBytes.value, inodesUsed: message.inodesUsed.value)
    }

    /// An image as the agent's store describes one; the runtime applies the image's config itself,
    /// so only its user is known here.
    package static func image(_ message: Runtime_V1_Image) -> ImageInfo {
        var user = message.username
        if user.isEmpty, message.hasUid { user = String(message.uid.value) }
        return ImageInfo(id: message.id, repoTags: message.repoTags, repoDigests: message.repoDigests,
                         size: Int64(clamping: message.size), config: ImageRuntimeConfig(user: user))
    }

    /// The container holding a name CreateContainer could not reserve, from containerd's message
    /// `failed to reserve container name "N": name "N" is reserved for "ID"`.
    package static func reservedNameOwner(_ message: String) -> String? {
        guard message.contains("failed to reserve container name"),
              let marker = message.range(of: "is reserved for \"") else { return nil }
        let rest = message[marker.upperBound...]
        guard let end = rest.firstIndex(of: "\""), rest.startIndex < end else { return nil }
        return String(rest[..<end])
    }

    /// Whether a failed ExecSync means the command outlived its timeout: containerd answers with
    /// DeadlineExceeded or a message naming the timeout, depending on where it noticed.
    package static func isExecTimeout(_ deadlineExceeded: Bool, message: String) -> Bool {
        deadlineExceeded || message.lowercased().contains("timeout")
    }
}
