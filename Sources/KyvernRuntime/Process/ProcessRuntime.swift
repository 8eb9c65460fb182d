#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
public import Logging

/// A `ContainerRuntime` for machines without root or runc: each container is a plain process on the
/// node, started and watched by the same shim as runc containers (logs, exit codes, attach, adoption
/// after an agent restart), but with no namespaces, no cgroup limits and the node's own filesystem.
/// The image only supplies the command, environment and working directory. It says so when made.
public actor ProcessRuntime: ContainerRuntime {
    let store: ContainerStateStore
    let layers: any ImageLayerSource
    let launcher: ShimLauncher
    let logger: Logger

    public init(stateDirectory: String, layerSource: any ImageLayerSource, shimExecutable: String? = nil,
                logger: Logger = Logger(label: "kyvern.runtime.process")) throws {
        self.store = try ContainerStateStore(root: stateDirectory)
        self.layers = layerSource
        self.launcher = ShimLauncher(executable: shimExecutable ?? ShimLauncher.currentExecutable())
        self.logger = logger
        signal(SIGPIPE, SIG_IGN)
        logger.warning("""
            the process runtime does NOT isolate containers: they run as plain processes of this user on the node's \
            own filesystem and network, without namespaces or resource limits; use --runtime runc where runc and root are available
            """)
    }

    public func version() async throws -> RuntimeVersion {
        RuntimeVersion(runtimeName: "process", runtimeVersion: "0.1.0", runtimeAPIVersion: "none")
    }

    // MARK: Sandboxes

    public func runPodSandbox(_ config: PodSandboxConfig) async throws -> String {
        let id = ContainerStateStore.newID()
        try FileSystem.makeDirectory(store.sandboxDirectory(id), mode: 0o711)
        if !config.logDirectory.isEmpty { try FileSystem.makeDirectory(config.logDirectory) }
        // Plain processes share the node's network: the pod is reached on the node's loopback.
        let record = SandboxRecord(id: id, config: config, createdAt: Date(), state: .ready, ips: [], networkNamespaceName: "",
                                   networkNamespacePath: "", cgroupParent: "", hostsPath: nil, resolvConfPath: nil, hostnamePath: nil)
        try store.save(record)
        return id
    }

    public func stopPodSandbox(id: String) async throws {
        guard var record = try? store.sandbox(id) else { return }
        for container in store.containers() where container.sandboxID == id {
            try await stopContainer(id: container.id, gracePeriod: .zero)
        }
        record.state = .notReady
        try store.save(record)
    }

    public func removePodSandbox(id: String) async throws {
        guard (try? store.sandbox(id)) != nil else { return }
        for container in store.containers() where container.sandboxID == id {
            try await removeContainer(id: container.id)
        }
        FileSystem.removeTree(store.sandboxDirectory(id))
    }

    public func podSandboxStatus(id: String) async throws -> PodSandboxStatus { try store.sandbox(id).status }

    public func listPodSandboxes() async throws -> [PodSandboxStatus] { store.sandboxes().map(\.status) }

    // MARK: Containers

    public func createContainer(sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig) async throws -> String {
        let sandbox = try store.sandbox(sandboxID)
        let image = try await layers.layerDirectories(for: config.image)
        let plan = try ProcessPlan.make(config: config, image: image.info.config, hostname: sandboxConfig.hostname)
        let id = ContainerStateStore.newID()
        try FileSystem.makeDirectory(store.containerDirectory(id), mode: 0o711)
        let logDirectory = sandboxConfig.logDirectory.isEmpty ? sandbox.config.logDirectory : sandboxConfig.logDirectory
        let logPath = logDirectory + "/" + config.logPath
        try FileSystem.makeDirectory((logPath as NSString).deletingLastPathComponent)
        var shim = ShimSpec(containerID: id, mode: .process, logPath: logPath)
        shim.arguments = plan.arguments
        shim.environment = plan.environment
        shim.workingDirectory = FileSystem.isDirectory(plan.workingDirectory) ? plan.workingDirectory : "/"
        shim.stdin = config.stdin
        shim.stdinOnce = config.stdinOnce
        try StateFile.write(shim, to: store.files(id).spec)
        try store.save(ContainerRecord(id: id, sandboxID: sandboxID, config: config, createdAt: Date(), imageID: image.info.id,
                                       logPath: logPath, cgroupPath: nil, rootfs: nil))
        return id
    }

    public func startContainer(id: String) async throws {
        let record = try store.container(id)
        let status = store.status(record)
        guard status.state == .created else { throw RuntimeError.invalidState(id: id, state: status.state.rawValue) }
        let started = try await launcher.launch(stateDirectory: store.containerDirectory(id), containerID: id)
        try StateFile.write(StartedRecord(pid: started.pid, shimPID: started.shimPID, startedAt: Date()), to: store.files(id).started)
    }

    public func stopContainer(id: String, gracePeriod: Duration) async throws {
        try await ContainerStopper(store: store, signalsGroup: true).stop(try store.container(id), gracePeriod: gracePeriod)
    }

    public func removeContainer(id: String) async throws {
        guard let record = try? store.container(id) else { return }
        try await ContainerStopper(store: store, signalsGroup: true).stop(record, gracePeriod: .zero)
        FileSystem.removeTree(store.containerDirectory(id))
    }

    public func containerStatus(id: String) async throws -> ContainerStatus { store.status(try store.container(id)) }

    public func listContainers(_ filter: ContainerFilter) async throws -> [ContainerStatus] {
        store.containers().filter { filter.sandboxID == nil || $0.sandboxID == filter.sandboxID }
            .map { store.status($0) }
            .filter { filter.state == nil || $0.state == filter.state }
    }

    public func updateContainerResources(id: String, resources: LinuxResources) async throws {
        throw RuntimeError.unsupported("resource limits")
    }

    // MARK: Streaming and stats

    /// The container's environment and working directory, for commands run "inside" it.
    func execEnvironment(_ id: String) throws -> (environment: [String], directory: String) {
        let status = store.status(try store.container(id))
        guard status.state == .running else { throw RuntimeError.invalidState(id: id, state: status.state.rawValue) }
        guard let spec = StateFile.read(ShimSpec.self, from: store.files(id).spec) else { throw RuntimeError.containerNotFound(id) }
        return (spec.environment, spec.workingDirectory)
    }

    public func execSync(id: String, command: [String], timeout: Duration) async throws -> ExecResult {
        let context = try execEnvironment(id)
        let output = try await CommandRunner.run(command, timeout: timeout > .zero ? timeout : nil, environment: context.environment,
                                                 workingDirectory: context.directory)
        return ExecResult(exitCode: output.exitCode, stdout: output.stdout, stderr: output.stderr, timedOut: output.timedOut)
    }

    public func exec(id: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        let context = try execEnvironment(id)
        if tty { throw RuntimeError.unsupported("exec with a terminal") }
        return try await StreamingCommand.run(command, io: io, environment: context.environment, workingDirectory: context.directory)
    }

    public func attach(id: String, tty: Bool, io: StreamIO) async throws {
        _ = try execEnvironment(id)
        try await AttachClient.attach(containerID: id, io: io)
    }

    public func portForward(sandboxID: String, port: Int, io: ByteStream) async throws {
        _ = try store.sandbox(sandboxID)
        try await PortForwarder.forward(networkNamespacePath: "", port: port, io: io)
    }

    /// From /proc: user+system time of the main process and its resident set (no cgroup to read).
    public func containerStats(id: String) async throws -> ContainerStats {
        let status = store.status(try store.container(id))
        guard let pid = status.pid else { throw RuntimeError.invalidState(id: id, state: status.state.rawValue) }
        let usage = ProcessUsage.read(pid: pid)
        return ContainerStats(containerID: id, timestamp: Date(), cpuUsageCoreNanoSeconds: usage?.cpuNanoseconds ?? 0,
                              memoryWorkingSetBytes: usage?.residentBytes ?? 0, memoryUsageBytes: usage?.residentBytes ?? 0)
    }
}

/// CPU time and resident memory of one process, from /proc/<pid>/stat and statm.
enum ProcessUsage {
    static func read(pid: Int32) -> (cpuNanoseconds: UInt64, residentBytes: UInt64)? {
        guard let stat = FileSystem.readString("/proc/\(pid)/stat"), let statm = FileSystem.readString("/proc/\(pid)/statm") else { return nil }
        return parse(stat: stat, statm: statm, ticksPerSecond: UInt64(sysconf(Int32(_SC_CLK_TCK))), pageSize: UInt64(sysconf(Int32(_SC_PAGESIZE))))
    }

    /// utime and stime are fields 14 and 15, counted after the parenthesised command name.
    static func parse(stat: String, statm: String, ticksPerSecond: UInt64, pageSize: UInt64) -> (cpuNanoseconds: UInt64, residentBytes: UInt64)? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let pages = statm.split(separator: " ")
        guard pages.count > 1, let resident = UInt64(pages[1]), ticksPerSecond > 0 else { return nil }
        return ((user + system) * 1_000_000_000 / ticksPerSecond, resident * pageSize)
    }
}
