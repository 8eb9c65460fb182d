public import Foundation
public import KyvernRuntime
internal import GRPCCore
public import Logging

/// ``ContainerRuntime`` over a CRI v1 runtime (containerd, CRI-O) on a unix socket: the agent's
/// calls map one to one onto RuntimeService calls, as upstream's kubelet makes them.
///
/// The runtime networks sandboxes itself (its CNI configuration); `prepareNetwork` runs before each
/// non-host-network sandbox so that Kyvern's pod network configuration is in the runtime's CNI
/// directory by then (the node's pod range is known only once the Node has one).
public struct CRIRuntime: ContainerRuntime {
    public let connection: CRIConnection
    let prepareNetwork: (@Sendable () async throws -> Void)?
    /// The runtime handler (RuntimeClass) sandboxes run with; empty for the runtime's default.
    let runtimeHandler: String
    let logger: Logger

    public init(connection: CRIConnection, runtimeHandler: String = "",
                prepareNetwork: (@Sendable () async throws -> Void)? = nil, logger: Logger) {
        self.connection = connection
        self.runtimeHandler = runtimeHandler
        self.prepareNetwork = prepareNetwork
        self.logger = logger
    }

    /// The CRI version the client speaks, sent in `Version` as upstream's kubelet sends it.
    static let apiVersion = "v1"

    public func version() async throws -> RuntimeVersion {
        var request = Runtime_V1_VersionRequest()
        request.version = Self.apiVersion
        let response = try await connection.call("Version") {
            try await connection.runtimeService.version(request, options: connection.options())
        }
        return RuntimeVersion(runtimeName: response.runtimeName, runtimeVersion: response.runtimeVersion,
                              runtimeAPIVersion: response.runtimeApiVersion)
    }

    // MARK: Pod sandboxes

    public func runPodSandbox(_ config: PodSandboxConfig) async throws -> String {
        if !config.namespaceOptions.hostNetwork, let prepareNetwork { try await prepareNetwork() }
        // As upstream's kubelet does, the agent side makes the pod's log directory.
        try FileManager.default.createDirectory(atPath: config.logDirectory, withIntermediateDirectories: true)
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = CRIRequests.sandboxConfig(config)
        request.runtimeHandler = runtimeHandler
        let response = try await connection.call("RunPodSandbox") {
            try await connection.runtimeService.runPodSandbox(request, options: connection.options(timeout: .seconds(240)))
        }
        return response.podSandboxID
    }

    public func stopPodSandbox(id: String) async throws {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = id
        try await connection.callIgnoringNotFound("StopPodSandbox") {
            _ = try await connection.runtimeService.stopPodSandbox(request, options: connection.options())
        }
    }

    public func removePodSandbox(id: String) async throws {
        var request = Runtime_V1_RemovePodSandboxRequest()
        request.podSandboxID = id
        try await connection.callIgnoringNotFound("RemovePodSandbox") {
            _ = try await connection.runtimeService.removePodSandbox(request, options: connection.options())
        }
    }

    public func podSandboxStatus(id: String) async throws -> PodSandboxStatus {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        let response = try await connection.call("PodSandboxStatus", notFound: .sandboxNotFound(id)) {
            try await connection.runtimeService.podSandboxStatus(request, options: connection.options())
        }
        return CRIResponses.sandboxStatus(response.status)
    }

    public func listPodSandboxes() async throws -> [PodSandboxStatus] {
        let response = try await connection.call("ListPodSandbox") {
            try await connection.runtimeService.listPodSandbox(Runtime_V1_ListPodSandboxRequest(), options: connection.options())
        }
        return response.items.map(CRIResponses.sandbox)
    }
}
