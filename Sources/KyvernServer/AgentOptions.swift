import Foundation
import KyvernNetwork
import KyvernRuntimeCRI

/// How the real node agent runs, in `kyvern server` (its own node) or alone (`kyvern agent`).
public struct AgentOptions: Sendable {
    /// Which container runtime runs the pods (`--runtime`).
    public enum RuntimeChoice: String, Sendable, CaseIterable {
        /// runc where it works (root and a `runc` on PATH), else the process runtime.
        case auto
        /// Real, isolated OCI containers.
        case runc
        /// Plain processes, no isolation: for machines without root or runc.
        case process
        /// A CRI runtime (containerd) on `containerRuntimeEndpoint`.
        case containerd
    }

    /// The server's data directory; the agent keeps `agent/`, `images/` and `runtime/` below it.
    public var dataDirectory: String
    public var nodeName: String
    public var runtime: RuntimeChoice = .auto
    /// The CRI socket with `--runtime containerd` (`--container-runtime-endpoint`), upstream's default.
    public var containerRuntimeEndpoint = "unix:///run/containerd/containerd.sock"
    /// Port of the agent's HTTPS endpoint (logs, exec, stats), published in the Node's daemonEndpoints.
    public var kubeletPort = 10250
    /// Pods' IPv4 range on this node (bridge CNI) when given by hand; otherwise the Node's
    /// `spec.podCIDR`, which the controller manager assigns from the cluster range.
    public var podCIDR: String?
    /// The Service range, routed to the pod bridge so virtual IPs never leave by the default route.
    public var serviceCIDR = "10.43.0.0/16"
    /// The cluster's pod range: the Service proxy masquerades traffic from outside it.
    public var clusterCIDR = "10.42.0.0/16"
    /// The cluster DNS Service's address (`none`: no cluster DNS); nil means the 10th address of
    /// the Service range, as k3s and kubeadm choose it.
    public var clusterDNS: String?
    public var clusterDomain = "cluster.local"
    /// The node's InternalIP (`--node-ip`): the address other nodes route this node's pods through.
    public var nodeIP: String?
    /// The Service proxy's backend (`--proxy-mode`): `auto` (nftables when the machine has
    /// `nft`, else iptables), `nftables` or `iptables`.
    public var proxyMode = AgentOptions.defaultProxyMode
    public static let defaultProxyMode = "auto"
    public static let proxyModes = ["auto", "nftables", "iptables"]
    /// Whether the node enforces NetworkPolicies (`--disable-network-policy` turns it off, as k3s's
    /// flag of that name, for a cluster whose policies another agent enforces).
    public var networkPolicy = true
    public var logLevel = "info"

    /// The cluster DNS address pods get, or nil for none.
    public var resolvedClusterDNS: String? {
        if let clusterDNS { return clusterDNS == "none" ? nil : clusterDNS }
        guard let range = IPv4Network(serviceCIDR) else { return nil }
        return IPv4Network.format(range.base &+ 10)
    }

    public static func isCRIEndpoint(_ text: String) -> Bool { (try? CRIEndpoint(parsing: text)) != nil }
    public static func isIPv4CIDR(_ text: String) -> Bool { IPv4Network(text) != nil }
    public static func isIPv4Address(_ text: String) -> Bool { IPv4Network.parseAddress(text) != nil }

    public init(dataDirectory: String, nodeName: String? = nil) {
        self.dataDirectory = dataDirectory
        self.nodeName = nodeName ?? Self.defaultNodeName()
    }

    /// The host name, lower-cased and cut at the first dot, as a valid node name.
    public static func defaultNodeName() -> String {
        let host = ProcessInfo.processInfo.hostName.lowercased()
        let first = host.split(separator: ".").first.map(String.init) ?? host
        let cleaned = String(first.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        return cleaned.isEmpty ? "kyvern-node" : cleaned
    }

    /// The runtime `auto` resolves to on this machine, and why.
    public static func resolve(_ choice: RuntimeChoice, runcPath: String? = findRunc()) -> (RuntimeChoice, reason: String) {
        switch choice {
        case .runc, .process, .containerd: return (choice, "chosen with --runtime")
        case .auto:
            if getuid() != 0 { return (.process, "not running as root") }
            guard runcPath != nil else { return (.process, "no runc on PATH") }
            return (.runc, "root and runc present")
        }
    }

    /// `runc` on PATH, if any.
    public static func findRunc() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/runc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
