public import Foundation
public import KyvernRuntime
internal import GRPCCore
internal import Logging

extension CRIRuntime {
    public func createContainer(sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig) async throws -> String {
        // The runtime opens the log file but, as with upstream's kubelet, the agent makes its directory.
        let logFile = (sandboxConfig.logDirectory as NSString).appendingPathComponent(config.logPath)
        try FileManager.default.createDirectory(atPath: (logFile as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = sandboxID
        request.config = CRIRequests.containerConfig(config, sandbox: sandboxConfig)
        request.sandboxConfig = CRIRequests.sandboxConfig(sandboxConfig)
        do {
            let response = try await connection.call("CreateContainer", notFound: .sandboxNotFound(sandboxID)) {
                try await connection.runtimeService.createContainer(request, options: connection.options(timeout: .seconds(240)))
            }
            return response.containerID
        } catch let error as CRICallError {
            // The name holds the pod's UID and the attempt: whoever holds it is this very container,
            // made by a first try whose answer was lost (the call is repeated when its stream breaks).
            guard let owner = CRIResponses.reservedNameOwner(error.message) else { throw error }
            logger.info("CreateContainer: adopting the container an earlier try made",
                        metadata: ["container": "\(owner)", "name": "\(config.metadata.name)"])
            try await waitUntilCreated(owner)
            return owner
        }
    }

    /// The create that reserved the name may still be running: wait (a minute at most) for its container.
    private func waitUntilCreated(_ id: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                _ = try await containerStatus(id: id, sandboxID: "")
                return
            } catch KyvernRuntime.RuntimeError.containerNotFound where ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    public func startContainer(id: String) async throws {
        var request = Runtime_V1_StartContainerRequest()
        request.containerID = id
        _ = try await connection.call("StartContainer", notFound: .containerNotFound(id)) {
            try await connection.runtimeService.startContainer(request, options: connection.options())
        }
    }

    public func stopContainer(id: String, gracePeriod: Duration) async throws {
        var request = Runtime_V1_StopContainerRequest()
        request.containerID = id
        request.timeout = max(0, gracePeriod.components.seconds)
        // The runtime waits out the grace period itself; leave it room before giving up on the call.
        try await connection.callIgnoringNotFound("StopContainer") {
            _ = try await connection.runtimeService.stopContainer(request, options: connection.options(timeout: gracePeriod + .seconds(60)))
        }
    }

    public func removeContainer(id: String) async throws {
        var request = Runtime_V1_RemoveContainerRequest()
        request.containerID = id
        try await connection.callIgnoringNotFound("RemoveContainer") {
            _ = try await connection.runtimeService.removeContainer(request, options: connection.options())
        }
    }

    public func containerStatus(id: String) async throws -> ContainerStatus {
        try await containerStatus(id: id, sandboxID: nil)
    }

    /// The CRI's ContainerStatus does not name the sandbox; the verbose info (containerd, CRI-O) does,
    /// and a list answers when it does not.
    func containerStatus(id: String, sandboxID known: String?) async throws -> ContainerStatus {
        var request = Runtime_V1_ContainerStatusRequest()
        request.containerID = id
        request.verbose = true
        let response = try await connection.call("ContainerStatus", notFound: .containerNotFound(id)) {
            try await connection.runtimeService.containerStatus(request, options: connection.options())
        }
        let info = CRIResponses.verboseInfo(response.info)
        var sandboxID = known ?? info.sandboxID
        if sandboxID == nil {
            var list = Runtime_V1_ListContainersRequest()
            list.filter.id = id
            sandboxID = try await connection.call("ListContainers") {
                try await connection.runtimeService.listContainers(list, options: connection.options())
            }.containers.first?.podSandboxID
        }
        return CRIResponses.containerStatus(response.status, sandboxID: sandboxID ?? "", pid: info.pid)
    }

    /// Lists, then asks each container's status (exit code, times), as upstream's kubelet builds a
    /// pod's status; a container removed in between is left out.
    public func listContainers(_ filter: ContainerFilter) async throws -> [ContainerStatus] {
        var request = Runtime_V1_ListContainersRequest()
        if let sandboxID = filter.sandboxID { request.filter.podSandboxID = sandboxID }
        if let state = filter.state { request.filter.state.state = CRIResponses.containerState(state) }
        let containers = try await connection.call("ListContainers") {
            try await connection.runtimeService.listContainers(request, options: connection.options())
        }.containers
        return try await withThrowingTaskGroup(of: ContainerStatus?.self) { group in
            for container in containers {
                group.addTask {
                    do {
                        return try await containerStatus(id: container.id, sandboxID: container.podSandboxID)
                    } catch KyvernRuntime.RuntimeError.containerNotFound {
                        return nil
                    }
                }
            }
            var statuses: [ContainerStatus] = []
            for try await status in group { if let status { statuses.append(status) } }
            return statuses.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func updateContainerResources(id: String, resources: LinuxResources) async throws {
        var request = Runtime_V1_UpdateContainerResourcesRequest()
        request.containerID = id
        request.linux = CRIRequests.linuxResources(resources)
        _ = try await connection.call("UpdateContainerResources", notFound: .containerNotFound(id)) {
            try await connection.runtimeService.updateContainerResources(request, options: connection.options())
        }
    }

    public func containerStats(id: String) async throws -> ContainerStats {
        var request = Runtime_V1_ContainerStatsRequest()
        request.containerID = id
        let response = try await connection.call("ContainerStats", notFound: .containerNotFound(id)) {
            try await connection.runtimeService.containerStats(request, options: connection.options())
        }
        return CRIResponses.stats(response.stats)
    }
}
