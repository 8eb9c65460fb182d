public import Foundation
public import KyvernRuntime
import Synchronization

/// An in-memory ``ContainerRuntime`` and ``ImageService`` for unit tests of the node agent.
///
/// Sandboxes and containers live in a dictionary; every call is recorded in ``calls``. Tests drive
/// what a real runtime would do on its own: ``exit(_:code:reason:)`` ends a container's process,
/// ``execResults`` decides what probes and exec see, ``pullFailures`` makes pulls fail, and
/// ``failNext(_:with:)`` fails the next call of a method.
public final class FakeRuntime: ContainerRuntime, ImageService, Sendable {
    /// One recorded call: the method name and its main argument (an id, an image, a container name).
    public struct Call: Sendable, Hashable, CustomStringConvertible {
        public var method: String
        public var argument: String
        public var description: String { "\(method)(\(argument))" }
    }

    struct State {
        var sandboxes: [String: PodSandboxStatus] = [:]
        var sandboxConfigs: [String: PodSandboxConfig] = [:]
        var containers: [String: ContainerStatus] = [:]
        var configs: [String: ContainerConfig] = [:]
        var images: [String: ImageInfo] = [:]
        var calls: [Call] = []
        var nextID = 1
        var nextIP = 2
        var failures: [String: [any Error & Sendable]] = [:]
        var execResults: [String: ExecResult] = [:]
        var pullFailures: [String: any Error & Sendable] = [:]
        var stopExitCode: Int32 = 137
        var resources: [String: LinuxResources] = [:]
    }

    let state = Mutex(State())
    /// The time stamped on created, started and finished containers.
    let now: @Sendable () -> Date
    public let runtimeName: String

    public init(runtimeName: String = "fake", now: @escaping @Sendable () -> Date = { Date() }) {
        self.runtimeName = runtimeName
        self.now = now
    }

    // MARK: test controls

    public var calls: [Call] { state.withLock { $0.calls } }

    /// The recorded calls of one method, by argument.
    public func calls(_ method: String) -> [String] {
        state.withLock { $0.calls.filter { $0.method == method }.map(\.argument) }
    }

    public func clearCalls() { state.withLock { $0.calls.removeAll() } }

    /// Every container, in creation order.
    public var containers: [ContainerStatus] {
        state.withLock { $0.containers.values.sorted { $0.createdAt == $1.createdAt ? $0.id < $1.id : $0.createdAt < $1.createdAt } }
    }

    public var sandboxes: [PodSandboxStatus] { state.withLock { Array($0.sandboxes.values).sorted { $0.id < $1.id } } }

    public func config(ofContainer id: String) -> ContainerConfig? { state.withLock { $0.configs[id] } }

    public func config(ofSandbox id: String) -> PodSandboxConfig? { state.withLock { $0.sandboxConfigs[id] } }

    /// The newest container of that name (highest attempt).
    public func container(named name: String) -> ContainerStatus? {
        containers.filter { $0.metadata.name == name }.max { $0.metadata.attempt < $1.metadata.attempt }
    }

    /// Makes a running container's process end with `code` (reason `Completed` for 0, else `Error`
    /// unless given, e.g. `OOMKilled`).
    public func exit(_ id: String, code: Int32, reason: String? = nil) {
        let at = now()
        state.withLock { state in
            guard var container = state.containers[id] else { return }
            container.state = .exited
            container.exitCode = code
            container.finishedAt = at
            container.pid = nil
            container.reason = reason ?? (code == 0 ? "Completed" : "Error")
            state.containers[id] = container
        }
    }

    /// Adds an image to the store, as an import would.
    public func addImage(_ reference: String, id: String? = nil, config: ImageRuntimeConfig = .init()) {
        state.withLock {
            $0.images[reference] = ImageInfo(id: id ?? "sha256:" + String(repeating: "a", count: 64), repoTags: [reference],
                                              repoDigests: [], size: 1000, config: config)
        }
    }

    /// What `execSync` answers for a command whose first word is `command` (default: exit 0).
    public func setExecResult(_ command: String, _ result: ExecResult) {
        state.withLock { $0.execResults[command] = result }
    }

    /// Pulls of `reference` fail with `error` until cleared with nil.
    public func setPullFailure(_ reference: String, _ error: (any Error & Sendable)?) {
        state.withLock { $0.pullFailures[reference] = error }
    }

    /// The next call of `method` throws `error`.
    public func failNext(_ method: String, with error: any Error & Sendable) {
        state.withLock { $0.failures[method, default: []].append(error) }
    }

    /// Seeds a sandbox and containers as if a previous agent had started them (adoption tests).
    public func seed(sandbox: PodSandboxStatus, config: PodSandboxConfig, containers: [ContainerStatus]) {
        state.withLock { state in
            state.sandboxes[sandbox.id] = sandbox
            state.sandboxConfigs[sandbox.id] = config
            for container in containers { state.containers[container.id] = container }
        }
    }

    public func resources(ofContainer id: String) -> LinuxResources? { state.withLock { $0.resources[id] } }

    private func record(_ method: String, _ argument: String) throws {
        try state.withLock { state in
            state.calls.append(Call(method: method, argument: argument))
            if var queued = state.failures[method], !queued.isEmpty {
                let error = queued.removeFirst()
                state.failures[method] = queued
                throw error
            }
        }
    }

    private func newID(_ state: inout State, prefix: String) -> String {
        defer { state.nextID += 1 }
        return prefix + String(state.nextID)
    }

    // MARK: ContainerRuntime

    public func version() async throws -> RuntimeVersion {
        try record("version", "")
        return RuntimeVersion(runtimeName: runtimeName, runtimeVersion: "1.0.0", runtimeAPIVersion: "1.2.0")
    }

    public func runPodSandbox(_ config: PodSandboxConfig) async throws -> String {
        try record("runPodSandbox", config.metadata.name)
        let at = now()
        return state.withLock { state in
            let id = newID(&state, prefix: "sandbox-")
            let ips = config.namespaceOptions.hostNetwork ? [] : ["10.88.0.\(state.nextIP)"]
            state.nextIP += 1
            state.sandboxes[id] = PodSandboxStatus(id: id, metadata: config.metadata, state: .ready, createdAt: at, ips: ips,
                                                   networkNamespacePath: "/var/run/netns/\(id)", labels: config.labels,
                                                   annotations: config.annotations)
            state.sandboxConfigs[id] = config
            return id
        }
    }

    public func stopPodSandbox(id: String) async throws {
        try record("stopPodSandbox", id)
        let at = now()
        state.withLock { state in
            for (cid, container) in state.containers where container.sandboxID == id && container.state == .running {
                var stopped = container
                stopped.state = .exited
                stopped.exitCode = state.stopExitCode
                stopped.reason = "Error"
                stopped.finishedAt = at
                stopped.pid = nil
                state.containers[cid] = stopped
            }
            state.sandboxes[id]?.state = .notReady
        }
    }

    public func removePodSandbox(id: String) async throws {
        try record("removePodSandbox", id)
        state.withLock { state in
            state.sandboxes[id] = nil
            state.sandboxConfigs[id] = nil
            state.containers = state.containers.filter { $0.value.sandboxID != id }
        }
    }

    public func podSandboxStatus(id: String) async throws -> PodSandboxStatus {
        try record("podSandboxStatus", id)
        guard let status = state.withLock({ $0.sandboxes[id] }) else { throw RuntimeError.sandboxNotFound(id) }
        return status
    }

    public func listPodSandboxes() async throws -> [PodSandboxStatus] {
        try record("listPodSandboxes", "")
        return sandboxes
    }

    public func createContainer(sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig) async throws -> String {
        try record("createContainer", config.metadata.name)
        let at = now()
        return try state.withLock { state in
            guard let sandbox = state.sandboxes[sandboxID] else { throw RuntimeError.sandboxNotFound(sandboxID) }
            let id = newID(&state, prefix: "ctr-")
            let imageID = state.images[config.image]?.id ?? ""
            state.containers[id] = ContainerStatus(
                id: id, sandboxID: sandboxID, metadata: config.metadata, state: .created, createdAt: at,
                image: config.image, imageID: imageID, logPath: sandbox.id + "/" + config.logPath,
                labels: config.labels, annotations: config.annotations)
            state.configs[id] = config
            return id
        }
    }

    public func startContainer(id: String) async throws {
        try record("startContainer", id)
        let at = now()
        try state.withLock { state in
            guard var container = state.containers[id] else { throw RuntimeError.containerNotFound(id) }
            container.state = .running
            container.startedAt = at
            container.pid = Int32(1000 + state.nextID)
            state.nextID += 1
            state.containers[id] = container
        }
    }

    public func stopContainer(id: String, gracePeriod: Duration) async throws {
        try record("stopContainer", id)
        let at = now()
        state.withLock { state in
            guard var container = state.containers[id], container.state == .running else { return }
            container.state = .exited
            container.exitCode = state.stopExitCode
            container.reason = "Error"
            container.finishedAt = at
            container.pid = nil
            state.containers[id] = container
        }
    }

    /// The exit code a stopped container reports (137: killed; 143: exited on SIGTERM).
    public func setStopExitCode(_ code: Int32) { state.withLock { $0.stopExitCode = code } }

    public func removeContainer(id: String) async throws {
        try record("removeContainer", id)
        state.withLock { _ = $0.containers.removeValue(forKey: id) }
    }

    public func containerStatus(id: String) async throws -> ContainerStatus {
        try record("containerStatus", id)
        guard let status = state.withLock({ $0.containers[id] }) else { throw RuntimeError.containerNotFound(id) }
        return status
    }

    public func listContainers(_ filter: ContainerFilter) async throws -> [ContainerStatus] {
        try record("listContainers", filter.sandboxID ?? "")
        return containers.filter {
            (filter.sandboxID == nil || $0.sandboxID == filter.sandboxID) && (filter.state == nil || $0.state == filter.state)
        }
    }

    public func updateContainerResources(id: String, resources: LinuxResources) async throws {
        try record("updateContainerResources", id)
        state.withLock { $0.resources[id] = resources }
    }

    public func execSync(id: String, command: [String], timeout: Duration) async throws -> ExecResult {
        try record("execSync", id + " " + command.joined(separator: " "))
        return try state.withLock { state in
            guard let container = state.containers[id], container.state == .running else {
                throw RuntimeError.invalidState(id: id, state: "not running")
            }
            return state.execResults[command.first ?? ""] ?? ExecResult(exitCode: 0)
        }
    }

    public func exec(id: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        try await execSync(id: id, command: command, timeout: .seconds(60)).exitCode
    }

    public func attach(id: String, tty: Bool, io: StreamIO) async throws {
        try record("attach", id)
    }

    public func portForward(sandboxID: String, port: Int, io: ByteStream) async throws {
        try record("portForward", sandboxID)
    }

    public func containerStats(id: String) async throws -> ContainerStats {
        try record("containerStats", id)
        return ContainerStats(containerID: id, timestamp: now(), cpuUsageCoreNanoSeconds: 0, memoryWorkingSetBytes: 0,
                              memoryUsageBytes: 0)
    }

    // MARK: ImageService

    public func pullImage(_ reference: String, credentials: [RegistryCredential]) async throws -> String {
        try record("pullImage", reference + (credentials.isEmpty ? "" : " as " + credentials.map(\.username).joined(separator: ",")))
        if let failure = state.withLock({ $0.pullFailures[reference] }) { throw failure }
        addImage(reference, id: state.withLock { $0.images[reference]?.id })
        return state.withLock { $0.images[reference]!.id }
    }

    public func imageStatus(_ reference: String) async throws -> ImageInfo? {
        try record("imageStatus", reference)
        return state.withLock { $0.images[reference] }
    }

    public func listImages() async throws -> [ImageInfo] {
        try record("listImages", "")
        return state.withLock { Array($0.images.values) }
    }

    public func removeImage(_ reference: String) async throws {
        try record("removeImage", reference)
        state.withLock { _ = $0.images.removeValue(forKey: reference) }
    }
}
