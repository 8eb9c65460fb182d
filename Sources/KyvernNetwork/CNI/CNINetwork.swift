import Foundation
public import KyvernRuntime
public import Logging

/// Networks pod sandboxes with the standard CNI plugins (from Debian's
/// containernetworking-plugins): loopback, a `bridge` (the pods' gateway on the host) with
/// host-local IPAM on the node's pod CIDR, and `portmap` for hostPorts; one node-wide
/// masquerade rule (``PodMasquerade``) lets pods reach beyond the node.
///
/// Each ADD result is cached under the state directory, as libcni does, so DEL and CHECK can
/// hand plugins their `prevResult` even after an agent restart.
public struct CNINetwork: PodNetworkPlugin {
    /// This node's pod range; a sandbox waits until it is known.
    public let podRange: PodCIDRSource
    public let bridge: String
    public static let defaultBridge = "kyvern0"
    public let networkName: String
    let runner: PluginRunner
    let configDirectory: String
    let stateDirectory: String
    let masquerade: PodMasquerade
    let logger: Logger

    /// - Parameters:
    ///   - podCIDR: this node's pod range (the Node's `spec.podCIDR`).
    ///   - configDirectory: where the network configuration list is written.
    ///   - stateDirectory: cached results and host-local's leases.
    public init(podCIDR: String = "10.88.0.0/16", bridge: String = "kyvern0", networkName: String = "kyvern",
                pluginDirectory: String = "/usr/lib/cni", configDirectory: String, stateDirectory: String,
                logger: Logger) {
        self.init(podRange: PodCIDRSource(podCIDR), bridge: bridge, networkName: networkName, pluginDirectory: pluginDirectory,
                  configDirectory: configDirectory, stateDirectory: stateDirectory, logger: logger)
    }

    /// A network whose range becomes known later (the Node's `spec.podCIDR`, see ``NodeNetwork``).
    /// Traffic to `clusterCIDR` (when the node's range lies in it) is not masqueraded.
    public init(podRange: PodCIDRSource, clusterCIDR: String? = nil, bridge: String = "kyvern0", networkName: String = "kyvern",
                pluginDirectory: String = "/usr/lib/cni", configDirectory: String, stateDirectory: String,
                logger: Logger) {
        self.podRange = podRange
        self.bridge = bridge
        self.networkName = networkName
        self.runner = PluginRunner(pluginDirectory: pluginDirectory)
        self.configDirectory = configDirectory
        self.stateDirectory = stateDirectory
        self.masquerade = PodMasquerade(podRange: podRange, clusterCIDR: clusterCIDR)
        self.logger = logger
    }

    func configList() async throws -> NetworkConfigList {
        NetworkConfigList(name: networkName, bridge: bridge, podCIDR: try await podRange.value(),
                          ipamDataDirectory: stateDirectory + "/ipam")
    }

    /// host-local's lease files for this network (one per IP in use).
    public var leaseDirectory: String { "\(stateDirectory)/ipam/\(networkName)" }

    /// Writes the configuration list and the masquerade rule without networking a sandbox: for a
    /// CRI runtime (containerd) that runs the plugins itself from `configDirectory`.
    public func prepare() async throws {
        try await configList().write(to: configDirectory)
        try await masquerade.ensure()
    }

    public func setUp(sandboxID: String, networkNamespacePath: String, config: PodSandboxConfig) async throws -> [String] {
        if config.namespaceOptions.hostNetwork { return [] }
        let list = try await configList()
        try list.write(to: configDirectory)
        try await masquerade.ensure()
        var invocation = PluginRunner.Invocation(command: "ADD", containerID: sandboxID, networkNamespace: networkNamespacePath,
                                                 interface: "lo", arguments: Self.arguments(sandboxID: sandboxID, config: config))
        do {
            _ = try await runner.run(type: "loopback", config: list.loopback, invocation: invocation)
            invocation.interface = "eth0"
            var result: [String: Any]?
            let runtimeConfig = Self.runtimeConfig(config)
            for plugin in list.plugins {
                let type = plugin["type"] as? String ?? ""
                if type == "portmap" && config.portMappings.isEmpty { continue }
                let output = try await runner.run(type: type, config: list.pluginConfig(plugin, previousResult: result,
                                                                                          runtimeConfig: runtimeConfig),
                                                  invocation: invocation)
                result = output.isEmpty ? result : output
            }
            let final = result ?? [:]
            try cache(final, sandboxID: sandboxID)
            let ips = Self.addresses(final)
            logger.debug("pod network added", metadata: ["sandbox": "\(sandboxID)", "ips": "\(ips)"])
            return ips
        } catch {
            // Leave nothing half made: the runtime will retry with a new sandbox.
            try? await tearDown(sandboxID: sandboxID, networkNamespacePath: networkNamespacePath, config: config)
            throw error
        }
    }

    public func tearDown(sandboxID: String, networkNamespacePath: String, config: PodSandboxConfig) async throws {
        if config.namespaceOptions.hostNetwork { return }
        let list = try await configList()
        let cached = cachedResult(sandboxID: sandboxID)
        // A namespace already gone is passed as empty: plugins then release only host-side state.
        let namespace = FileManager.default.fileExists(atPath: networkNamespacePath) ? networkNamespacePath : ""
        var invocation = PluginRunner.Invocation(command: "DEL", containerID: sandboxID, networkNamespace: namespace,
                                                 interface: "eth0", arguments: Self.arguments(sandboxID: sandboxID, config: config))
        var failures: [any Error] = []
        let runtimeConfig = Self.runtimeConfig(config)
        for plugin in list.plugins.reversed() {
            do {
                _ = try await runner.run(type: plugin["type"] as? String ?? "",
                                         config: list.pluginConfig(plugin, previousResult: cached, runtimeConfig: runtimeConfig),
                                         invocation: invocation)
            } catch {
                failures.append(error)
            }
        }
        invocation.interface = "lo"
        if !namespace.isEmpty {
            do { _ = try await runner.run(type: "loopback", config: list.loopback, invocation: invocation) } catch { failures.append(error) }
        }
        do { try await IptablesCleanup.removeRules(containerID: sandboxID) } catch { failures.append(error) }
        if let first = failures.first { throw first }
        try? FileManager.default.removeItem(atPath: cachePath(sandboxID))
    }

    /// CNI CHECK: whether the sandbox's interfaces, addresses and rules are still as ADD made them.
    public func check(sandboxID: String, networkNamespacePath: String, config: PodSandboxConfig) async throws {
        if config.namespaceOptions.hostNetwork { return }
        let list = try await configList()
        guard let cached = cachedResult(sandboxID: sandboxID) else {
            throw CNIError(plugin: "bridge", command: "CHECK", message: "no cached result for sandbox \(sandboxID)")
        }
        let invocation = PluginRunner.Invocation(command: "CHECK", containerID: sandboxID, networkNamespace: networkNamespacePath,
                                                 interface: "eth0", arguments: Self.arguments(sandboxID: sandboxID, config: config))
        let runtimeConfig = Self.runtimeConfig(config)
        for plugin in list.plugins {
            if plugin["type"] as? String == "portmap" {
                // Debian's portmap CHECK also looks for IPv6 chains an IPv4-only pod never gets,
                // so the hostPort rules are checked here instead.
                if !config.portMappings.isEmpty,
                   !(try await IptablesCleanup.rulesMentioning(sandboxID)).contains(where: { $0.contains("DNAT") }) {
                    throw CNIError(plugin: "portmap", command: "CHECK", message: "no hostPort DNAT rules for sandbox \(sandboxID)")
                }
                continue
            }
            _ = try await runner.run(type: plugin["type"] as? String ?? "",
                                     config: list.pluginConfig(plugin, previousResult: cached, runtimeConfig: runtimeConfig),
                                     invocation: invocation)
        }
    }

    // MARK: helpers

    /// Kubernetes' CNI_ARGS, which some plugins read.
    static func arguments(sandboxID: String, config: PodSandboxConfig) -> String {
        "IgnoreUnknown=1;K8S_POD_NAMESPACE=\(config.metadata.namespace);K8S_POD_NAME=\(config.metadata.name);"
            + "K8S_POD_INFRA_CONTAINER_ID=\(sandboxID);K8S_POD_UID=\(config.metadata.uid)"
    }

    static func runtimeConfig(_ config: PodSandboxConfig) -> [String: Any] {
        guard !config.portMappings.isEmpty else { return [:] }
        return ["portMappings": config.portMappings.map { mapping -> [String: Any] in
            var entry: [String: Any] = ["hostPort": mapping.hostPort, "containerPort": mapping.containerPort,
                                        "protocol": mapping.portProtocol.rawValue.lowercased()]
            if !mapping.hostIP.isEmpty { entry["hostIP"] = mapping.hostIP }
            return entry
        }]
    }

    /// The result's addresses without prefix length, IPv4 first.
    static func addresses(_ result: [String: Any]) -> [String] {
        let ips = (result["ips"] as? [[String: Any]] ?? []).compactMap { ($0["address"] as? String)?.split(separator: "/").first }
            .map(String.init)
        return ips.filter { !$0.contains(":") } + ips.filter { $0.contains(":") }
    }

    func cachePath(_ sandboxID: String) -> String { "\(stateDirectory)/results/\(networkName)-\(sandboxID)-eth0.json" }

    private func cache(_ result: [String: Any], sandboxID: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory + "/results", withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: cachePath(sandboxID)), options: .atomic)
    }

    private func cachedResult(sandboxID: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: cachePath(sandboxID)) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
