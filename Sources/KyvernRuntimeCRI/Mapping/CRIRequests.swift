public import Foundation
public import KyvernRuntime

/// The agent's configs as CRI messages: pure, so every field the runtime receives is unit tested.
package enum CRIRequests {
    package static func sandboxConfig(_ config: PodSandboxConfig) -> Runtime_V1_PodSandboxConfig {
        var message = Runtime_V1_PodSandboxConfig()
        message.metadata.name = config.metadata.name
        message.metadata.namespace = config.metadata.namespace
        message.metadata.uid = config.metadata.uid
        message.metadata.attempt = UInt32(clamping: config.metadata.attempt)
        message.hostname = config.hostname
        message.logDirectory = config.logDirectory
        if !config.dnsConfig.servers.isEmpty || !config.dnsConfig.searches.isEmpty || !config.dnsConfig.options.isEmpty {
            message.dnsConfig.servers = config.dnsConfig.servers
            message.dnsConfig.searches = config.dnsConfig.searches
            message.dnsConfig.options = config.dnsConfig.options
        }
        message.portMappings = config.portMappings.map(portMapping)
        message.labels = config.labels
        message.annotations = config.annotations
        message.linux.cgroupParent = config.cgroupParent
        message.linux.sysctls = config.sysctls
        message.linux.securityContext.namespaceOptions = namespaceOptions(config.namespaceOptions)
        if let resources = config.resources { message.linux.resources = linuxResources(resources) }
        return message
    }

    /// Network, PID and IPC modes as upstream's kubelet sets them: the pod's own namespaces unless
    /// the pod shares the node's; PID is per container unless shared with the node.
    package static func namespaceOptions(_ options: NamespaceOptions) -> Runtime_V1_NamespaceOption {
        var message = Runtime_V1_NamespaceOption()
        message.network = options.hostNetwork ? .node : .pod
        message.pid = options.hostPID ? .node : .container
        message.ipc = options.hostIPC ? .node : .pod
        return message
    }

    package static func portMapping(_ mapping: PortMapping) -> Runtime_V1_PortMapping {
        var message = Runtime_V1_PortMapping()
        message.protocol = switch mapping.portProtocol {
        case .tcp: .tcp
        case .udp: .udp
        case .sctp: .sctp
        }
        message.containerPort = Int32(clamping: mapping.containerPort)
        message.hostPort = Int32(clamping: mapping.hostPort)
        message.hostIp = mapping.hostIP
        return message
    }

    package static func linuxResources(_ resources: LinuxResources) -> Runtime_V1_LinuxContainerResources {
        var message = Runtime_V1_LinuxContainerResources()
        message.cpuShares = resources.cpuShares ?? 0
        message.cpuQuota = resources.cpuQuota ?? 0
        message.cpuPeriod = resources.cpuPeriod ?? 0
        message.memoryLimitInBytes = resources.memoryLimitInBytes ?? 0
        return message
    }

    package static func containerConfig(_ config: ContainerConfig, sandbox: PodSandboxConfig) -> Runtime_V1_ContainerConfig {
        var message = Runtime_V1_ContainerConfig()
        message.metadata.name = config.metadata.name
        message.metadata.attempt = UInt32(clamping: config.metadata.attempt)
        message.image.image = config.image
        message.command = config.command
        message.args = config.args
        message.workingDir = config.workingDir
        message.envs = config.env.map { variable in
            var pair = Runtime_V1_KeyValue()
            pair.key = variable.name
            pair.value = Data(variable.value.utf8)
            return pair
        }
        message.mounts = config.mounts.map { mount in
            var message = Runtime_V1_Mount()
            message.containerPath = mount.containerPath
            message.hostPath = mount.hostPath
            message.readonly = mount.readOnly
            message.propagation = .propagationPrivate
            return message
        }
        message.labels = config.labels
        message.annotations = config.annotations
        message.logPath = config.logPath
        message.stdin = config.stdin
        message.stdinOnce = config.stdinOnce
        message.tty = config.tty
        message.linux.resources = linuxResources(config.resources)
        let security = config.securityContext
        var context = Runtime_V1_LinuxContainerSecurityContext()
        context.namespaceOptions = namespaceOptions(sandbox.namespaceOptions)
        if let user = security.runAsUser { context.runAsUser.value = user }
        if let group = security.runAsGroup { context.runAsGroup.value = group }
        context.supplementalGroups = security.supplementalGroups
        context.readonlyRootfs = security.readOnlyRootFilesystem
        context.privileged = security.privileged
        context.noNewPrivs = security.noNewPrivileges
        if !security.capabilities.add.isEmpty || !security.capabilities.drop.isEmpty {
            context.capabilities.addCapabilities = security.capabilities.add
            context.capabilities.dropCapabilities = security.capabilities.drop
        }
        message.linux.securityContext = context
        return message
    }

    /// A pull's credentials: the one whose registry matches the image's host, as upstream's kubelet
    /// picks among a pod's `imagePullSecrets`.
    package static func authConfig(for reference: String, credentials: [RegistryCredential]) -> Runtime_V1_AuthConfig? {
        let host = registryHost(reference)
        guard let match = credentials.first(where: { normalizedRegistry($0.registry) == host }) else { return nil }
        var auth = Runtime_V1_AuthConfig()
        auth.username = match.username
        auth.password = match.password
        // Left empty: the match is made here, and containerd parses a set address as a URL, which a
        // bare `host:port` (the usual key of a dockerconfigjson) is not.
        return auth
    }

    /// The registry host of an image reference (`docker.io` when the first part is not a host).
    package static func registryHost(_ reference: String) -> String {
        let parts = reference.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return "docker.io" }
        let first = String(parts[0])
        let isHost = first.contains(".") || first.contains(":") || first == "localhost"
        return isHost ? normalizedRegistry(first) : "docker.io"
    }

    static func normalizedRegistry(_ registry: String) -> String {
        var host = registry
        for scheme in ["https://", "http://"] where host.hasPrefix(scheme) { host.removeFirst(scheme.count) }
        host = String(host.split(separator: "/").first ?? "")
        return ["index.docker.io", "registry-1.docker.io"].contains(host) ? "docker.io" : host
    }

    /// ExecSync's timeout is whole seconds, 0 meaning none: a sub-second probe timeout rounds up
    /// rather than turning into "no timeout".
    package static func execTimeoutSeconds(_ timeout: Duration) -> Int64 {
        let (seconds, attoseconds) = timeout.components
        guard seconds > 0 || attoseconds > 0 else { return 0 }
        return seconds + (attoseconds > 0 ? 1 : 0)
    }
}
