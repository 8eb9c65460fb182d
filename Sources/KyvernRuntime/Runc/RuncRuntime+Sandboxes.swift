import Logging
import Foundation

extension RuncRuntime {
    public func runPodSandbox(_ config: PodSandboxConfig) async throws -> String {
        let id = ContainerStateStore.newID()
        let directory = store.sandboxDirectory(id)
        try FileSystem.makeDirectory(directory, mode: 0o711)
        var record = SandboxRecord(id: id, config: config, createdAt: Date(), state: .notReady, ips: [],
                                   networkNamespaceName: "", networkNamespacePath: "",
                                   cgroupParent: CgroupV1.normalized(config.cgroupParent.isEmpty ? "/kyvern/\(id)" : config.cgroupParent))
        do {
            try store.save(record)
            try cgroups.create(record.cgroupParent)
            if let resources = config.resources { try cgroups.apply(resources, to: record.cgroupParent) }
            if !config.logDirectory.isEmpty { try FileSystem.makeDirectory(config.logDirectory) }
            if !config.namespaceOptions.hostNetwork {
                record.networkNamespaceName = "kyvern-" + id.prefix(16)
                record.networkNamespacePath = try await NetworkNamespace.create(name: record.networkNamespaceName)
                try store.save(record)
                if let network {
                    record.ips = try await network.setUp(sandboxID: id, networkNamespacePath: record.networkNamespacePath, config: config)
                }
            }
            try writeSandboxFiles(&record, directory: directory)
            record.state = .ready
            try store.save(record)
            logger.debug("sandbox ready", metadata: ["id": "\(id)", "pod": "\(config.metadata.namespace)/\(config.metadata.name)"])
            return id
        } catch {
            await releaseSandbox(record)
            FileSystem.removeTree(directory)
            throw error
        }
    }

    func writeSandboxFiles(_ record: inout SandboxRecord, directory: String) throws {
        let config = record.config
        if config.namespaceOptions.hostNetwork {
            record.hostsPath = "/etc/hosts"
            record.resolvConfPath = "/etc/resolv.conf"
            return
        }
        record.hostnamePath = directory + "/hostname"
        record.hostsPath = directory + "/hosts"
        record.resolvConfPath = directory + "/resolv.conf"
        try FileSystem.writeString(directory + "/hostname", config.hostname + "\n")
        try FileSystem.writeString(directory + "/hosts", SandboxFiles.hosts(hostname: config.hostname, ips: record.ips))
        try FileSystem.writeString(directory + "/resolv.conf",
                                   SandboxFiles.resolvConf(config.dnsConfig, nodeResolvConf: FileSystem.readString("/etc/resolv.conf")))
    }

    /// Tears down the network and deletes the namespace; errors are logged, the rest goes on.
    func releaseNetwork(_ record: SandboxRecord) async {
        guard !record.networkNamespaceName.isEmpty else { return }
        if let network {
            do {
                try await network.tearDown(sandboxID: record.id, networkNamespacePath: record.networkNamespacePath, config: record.config)
            } catch {
                logger.warning("network teardown failed", metadata: ["sandbox": "\(record.id)", "error": "\(error)"])
            }
        }
        do {
            try await NetworkNamespace.remove(name: record.networkNamespaceName)
        } catch {
            logger.warning("network namespace removal failed", metadata: ["sandbox": "\(record.id)", "error": "\(error)"])
        }
    }

    func releaseSandbox(_ record: SandboxRecord) async {
        await releaseNetwork(record)
        cgroups.remove(record.cgroupParent)
    }

    public func stopPodSandbox(id: String) async throws {
        guard var record = try? store.sandbox(id) else { return }
        for container in store.containers() where container.sandboxID == id {
            try await stopContainer(id: container.id, gracePeriod: .zero)
        }
        await releaseNetwork(record)
        // Released once: removal must not tear the network down again.
        record.networkNamespaceName = ""
        record.networkNamespacePath = ""
        record.state = .notReady
        try store.save(record)
    }

    public func removePodSandbox(id: String) async throws {
        guard let record = try? store.sandbox(id) else { return }
        for container in store.containers() where container.sandboxID == id {
            try await removeContainer(id: container.id)
        }
        await releaseSandbox(record)
        FileSystem.removeTree(store.sandboxDirectory(id))
    }

    public func podSandboxStatus(id: String) async throws -> PodSandboxStatus {
        try store.sandbox(id).status
    }

    public func listPodSandboxes() async throws -> [PodSandboxStatus] {
        store.sandboxes().map(\.status)
    }
}
