/// The node agent's view of a container runtime, shaped like the Container Runtime Interface
/// (RuntimeService): pod sandboxes hold the namespaces and cgroup a pod's containers share, and
/// containers are created, started, stopped and removed inside them.
///
/// The agent depends only on this protocol, so the runc runtime, the process runtime (no isolation,
/// for machines without root) and the fakes in unit tests are interchangeable, and a CRI client
/// (issue 14) can sit behind it too. Every method is idempotent where the CRI's is: stopping a stopped
/// sandbox or removing a missing container succeeds.
public protocol ContainerRuntime: Sendable {
    /// The runtime's name and version, reported in `node.status.nodeInfo.containerRuntimeVersion`
    /// as `"<name>://<version>"`.
    func version() async throws -> RuntimeVersion

    // MARK: Pod sandboxes

    /// Creates the pod's shared namespaces (network, IPC, UTS), its cgroup parent and its log
    /// directory, and sets up its network; returns the sandbox id.
    func runPodSandbox(_ config: PodSandboxConfig) async throws -> String
    /// Stops every container of the sandbox and releases its network; the sandbox stays listed.
    func stopPodSandbox(id: String) async throws
    /// Removes a stopped sandbox, its containers, namespaces, cgroups and state.
    func removePodSandbox(id: String) async throws
    func podSandboxStatus(id: String) async throws -> PodSandboxStatus
    func listPodSandboxes() async throws -> [PodSandboxStatus]

    // MARK: Containers

    /// Prepares a container (root filesystem, bundle, log file) without starting it; returns its id.
    /// The image's entrypoint, command, environment, working directory and user fill what
    /// `config` leaves empty, as containerd does.
    func createContainer(sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig) async throws -> String
    func startContainer(id: String) async throws
    /// Sends SIGTERM, waits up to `gracePeriod`, then SIGKILL; returns once the container has exited.
    func stopContainer(id: String, gracePeriod: Duration) async throws
    func removeContainer(id: String) async throws
    func containerStatus(id: String) async throws -> ContainerStatus
    func listContainers(_ filter: ContainerFilter) async throws -> [ContainerStatus]
    /// Changes the cgroup limits of a running container.
    func updateContainerResources(id: String, resources: LinuxResources) async throws

    // MARK: Streaming and stats

    /// Runs a command in a running container and collects its output (probes, `kubectl exec` without
    /// streaming). A command still running at `timeout` is killed and `ExecResult.timedOut` is set; a zero
    /// `timeout` means none, as in the CRI.
    func execSync(id: String, command: [String], timeout: Duration) async throws -> ExecResult
    /// Runs a command in a running container with streamed standard I/O; returns its exit code.
    func exec(id: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32
    /// Connects to a running container's main process standard I/O (`kubectl attach`).
    func attach(id: String, tty: Bool, io: StreamIO) async throws
    /// Connects to `port` on the sandbox's loopback and relays bytes both ways until either side closes.
    func portForward(sandboxID: String, port: Int, io: ByteStream) async throws
    /// CPU and memory usage of one container, read from its cgroup.
    func containerStats(id: String) async throws -> ContainerStats
    /// Usage of every sandbox and its containers in one call (the CRI's ListPodSandboxStats); nil
    /// where the runtime has no such call, and the agent asks each container instead.
    func listPodSandboxStats() async throws -> [PodSandboxStats]?
    /// The filesystems holding the runtime's images (the CRI's ImageFsInfo); empty where unknown.
    func imageFsInfo() async throws -> [FilesystemUsage]
    /// Hands each container event the runtime pushes to `handler` until the stream ends (true);
    /// false at once where the runtime pushes none, and the agent relies on relisting alone.
    func watchContainerEvents(_ handler: @escaping @Sendable (ContainerEvent) async -> Void) async throws -> Bool
}

extension ContainerRuntime {
    public func listPodSandboxStats() async throws -> [PodSandboxStats]? { nil }
    public func imageFsInfo() async throws -> [FilesystemUsage] { [] }
    public func watchContainerEvents(_ handler: @escaping @Sendable (ContainerEvent) async -> Void) async throws -> Bool {
        false
    }
}
