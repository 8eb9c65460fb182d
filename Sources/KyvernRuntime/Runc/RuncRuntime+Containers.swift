#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation

extension RuncRuntime {
    public func createContainer(sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig) async throws -> String {
        let sandbox = try store.sandbox(sandboxID)
        let image = try await layers.layerDirectories(for: config.image)
        let id = ContainerStateStore.newID()
        let directory = store.containerDirectory(id)
        let rootfs = directory + "/rootfs"
        try FileSystem.makeDirectory(directory, mode: 0o711)
        do {
            try OverlayMount.mount(layers: image.layers, upper: directory + "/upper", work: directory + "/work", target: rootfs)
            let users = UserResolver(passwd: FileSystem.readString(rootfs + "/etc/passwd") ?? "",
                                     group: FileSystem.readString(rootfs + "/etc/group") ?? "")
            let user = try users.resolve(imageUser: image.info.config.user, security: config.securityContext)
            let hostname = sandboxConfig.namespaceOptions.hostNetwork ? nil : sandboxConfig.hostname
            let plan = try ProcessPlan.make(config: config, image: image.info.config, hostname: hostname)
            let cgroupPath = sandbox.cgroupParent + "/" + id
            let spec = OCISpecBuilder(config: config, sandbox: sandboxConfig, networkNamespacePath: sandbox.networkNamespacePath,
                                      hostsPath: sandbox.hostsPath, resolvConfPath: sandbox.resolvConfPath,
                                      hostnamePath: sandbox.hostnamePath, process: plan, user: user, cgroupsPath: cgroupPath).build()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try FileSystem.writeAtomically(directory + "/config.json", Array(try encoder.encode(spec)))

            let logDirectory = sandboxConfig.logDirectory.isEmpty ? sandbox.config.logDirectory : sandboxConfig.logDirectory
            let logPath = logDirectory + "/" + config.logPath
            try FileSystem.makeDirectory((logPath as NSString).deletingLastPathComponent)

            var shim = ShimSpec(containerID: id, mode: .runc, logPath: logPath)
            shim.runcPath = runcPath
            shim.runcRoot = runcRoot
            shim.bundle = directory
            shim.stdin = config.stdin
            shim.stdinOnce = config.stdinOnce
            shim.tty = config.tty
            shim.cgroupPath = cgroupPath
            try StateFile.write(shim, to: store.files(id).spec)
            try store.save(ContainerRecord(id: id, sandboxID: sandboxID, config: config, createdAt: Date(), imageID: image.info.id,
                                           logPath: logPath, cgroupPath: cgroupPath, rootfs: rootfs))
            return id
        } catch {
            try? OverlayMount.unmount(rootfs)
            FileSystem.removeTree(directory)
            throw error
        }
    }

    public func startContainer(id: String) async throws {
        let record = try store.container(id)
        let status = store.status(record)
        guard status.state == .created else { throw RuntimeError.invalidState(id: id, state: status.state.rawValue) }
        let started = try await launcher.launch(stateDirectory: store.containerDirectory(id), containerID: id)
        try StateFile.write(StartedRecord(pid: started.pid, shimPID: started.shimPID, startedAt: Date()), to: store.files(id).started)
    }

    public func stopContainer(id: String, gracePeriod: Duration) async throws {
        let record = try store.container(id)
        try await ContainerStopper(store: store, signalsGroup: false).stop(record, gracePeriod: gracePeriod)
    }

    public func removeContainer(id: String) async throws {
        guard let record = try? store.container(id) else { return }
        try await ContainerStopper(store: store, signalsGroup: false).stop(record, gracePeriod: .zero)
        if store.started(id) == nil || store.exited(id) == nil {
            // Created but never started (or its shim vanished): runc may still hold it.
            _ = try? await CommandRunner.run(runc(["delete", "--force", id]))
        }
        if let rootfs = record.rootfs { try OverlayMount.unmount(rootfs) }
        if let cgroupPath = record.cgroupPath { cgroups.remove(cgroupPath) }
        FileSystem.removeTree(store.containerDirectory(id))
    }

    public func containerStatus(id: String) async throws -> ContainerStatus {
        store.status(try store.container(id))
    }

    public func listContainers(_ filter: ContainerFilter) async throws -> [ContainerStatus] {
        store.containers().filter { filter.sandboxID == nil || $0.sandboxID == filter.sandboxID }
            .map { store.status($0) }
            .filter { filter.state == nil || $0.state == filter.state }
    }

    public func updateContainerResources(id: String, resources: LinuxResources) async throws {
        let record = try store.container(id)
        guard store.status(record).state == .running else {
            throw RuntimeError.invalidState(id: id, state: store.status(record).state.rawValue)
        }
        try await CommandRunner.check(runc(["update"] + Self.updateArguments(resources) + [id]))
        var updated = record
        updated.config.resources = resources
        try store.save(updated)
    }

    static func updateArguments(_ resources: LinuxResources) -> [String] {
        var arguments: [String] = []
        if let shares = resources.cpuShares { arguments += ["--cpu-shares", String(max(2, shares))] }
        if let period = resources.cpuPeriod { arguments += ["--cpu-period", String(period)] }
        if let quota = resources.cpuQuota { arguments += ["--cpu-quota", String(quota)] }
        if let memory = resources.memoryLimitInBytes { arguments += ["--memory", String(memory)] }
        if let pids = resources.pidsLimit { arguments += ["--pids-limit", String(pids)] }
        return arguments
    }

    public func containerStats(id: String) async throws -> ContainerStats {
        let record = try store.container(id)
        guard let cgroup = record.cgroupPath else { throw RuntimeError.unsupported("stats without a cgroup") }
        let memory = cgroups.memoryUsage(cgroup)
        return ContainerStats(containerID: id, timestamp: Date(), cpuUsageCoreNanoSeconds: cgroups.cpuUsageNanoseconds(cgroup) ?? 0,
                              memoryWorkingSetBytes: memory?.workingSet ?? 0, memoryUsageBytes: memory?.usage ?? 0)
    }
}
