import ArgumentParser
import KyvernServer

/// The node agent's flags, shared by `kyvern server` (its own node) and `kyvern agent`.
struct AgentFlags: ParsableArguments {
    @Option(help: "Container runtime: auto (runc as root with runc on PATH, else process), runc, process (no isolation), or containerd (a CRI runtime on --container-runtime-endpoint).")
    var runtime: String = "auto"

    @Option(name: .customLong("container-runtime-endpoint"), help: "The CRI runtime's socket with --runtime containerd.")
    var containerRuntimeEndpoint: String = "unix:///run/containerd/containerd.sock"

    @Option(help: "Name of this node (default: the host name).")
    var nodeName: String?

    @Option(help: "Port of the node agent's HTTPS endpoint (logs, exec, attach, port-forward, stats).")
    var kubeletPort: Int = 10250

    @Option(name: .customLong("pod-cidr"), help: "IPv4 range of this node's pod addresses (default: the Node's spec.podCIDR, assigned from the server's --cluster-cidr).")
    var podCIDR: String?

    @Option(name: .customLong("cluster-dns"), help: "Address of the cluster DNS Service that pods resolve with (default: the 10th address of the Service range, 10.43.0.10); none for no cluster DNS.")
    var clusterDNS: String?

    @Option(name: .customLong("node-ip"), help: "This node's InternalIP, which other nodes route its pods through (default: the first non-loopback IPv4 address).")
    var nodeIP: String?

    @Option(name: .customLong("cluster-domain"), help: "The cluster's DNS domain.")
    var clusterDomain: String = "cluster.local"

    @Option(name: .customLong("proxy-mode"), help: "Which kernel API the Service proxy programs: auto (nftables when the machine has nft, else iptables), nftables or iptables.")
    var proxyMode: String = AgentOptions.defaultProxyMode

    @Flag(name: .customLong("disable-network-policy"), help: "Do not enforce NetworkPolicies on this node.")
    var disableNetworkPolicy = false

    func validate() throws {
        guard AgentOptions.RuntimeChoice(rawValue: runtime) != nil else {
            throw ValidationError("--runtime must be one of: auto, runc, process, containerd")
        }
        if !AgentOptions.isCRIEndpoint(containerRuntimeEndpoint) {
            throw ValidationError("--container-runtime-endpoint: not a unix socket (unix:///path): \(containerRuntimeEndpoint)")
        }
        guard (1...65535).contains(kubeletPort) else { throw ValidationError("--kubelet-port must be between 1 and 65535") }
        if let podCIDR, !AgentOptions.isIPv4CIDR(podCIDR) {
            throw ValidationError("--pod-cidr: not an IPv4 CIDR: \(podCIDR)")
        }
        if let nodeIP, !AgentOptions.isIPv4Address(nodeIP) {
            throw ValidationError("--node-ip: not an IPv4 address: \(nodeIP)")
        }
        guard AgentOptions.proxyModes.contains(proxyMode) else {
            throw ValidationError("--proxy-mode must be one of: \(AgentOptions.proxyModes.joined(separator: ", "))")
        }
        if let clusterDNS, clusterDNS != "none", !AgentOptions.isIPv4Address(clusterDNS) {
            throw ValidationError("--cluster-dns: not an IPv4 address: \(clusterDNS)")
        }
    }

    func options(dataDirectory: String, logLevel: String) -> AgentOptions {
        var options = AgentOptions(dataDirectory: dataDirectory, nodeName: nodeName)
        options.runtime = AgentOptions.RuntimeChoice(rawValue: runtime) ?? .auto
        options.containerRuntimeEndpoint = containerRuntimeEndpoint
        options.kubeletPort = kubeletPort
        options.podCIDR = podCIDR
        options.clusterDNS = clusterDNS
        options.clusterDomain = clusterDomain
        options.nodeIP = nodeIP
        options.proxyMode = proxyMode
        options.networkPolicy = !disableNetworkPolicy
        options.logLevel = logLevel
        return options
    }
}
