import KyvernAPIServer
import KyvernClient
import Logging

/// The server's own node components as users of their own, each with a client certificate issued
/// at every start (as the scheduler's): the agent as `system:node:<name>` in `system:nodes`, as
/// upstream's kubelet is; the service proxy as `system:kube-proxy` (upstream's `system:node-proxier`
/// binding names it); the cluster DNS as `system:coredns` (bound to `system:coredns`). None of them
/// holds the admin's certificate any more.
struct NodeComponentIdentities: Sendable {
    enum Component: String, CaseIterable, Sendable {
        case agent, proxy, dns, ingress

        var userAgent: String {
            switch self {
            case .agent: KyvernServer.agentUserAgent
            case .proxy: "kyvern-proxy/v1.36.0 (linux) kubernetes/kyvern"
            case .dns: "kyvern-dns/v1.36.0 (linux) kubernetes/kyvern"
            case .ingress: "kyvern-ingress/v1.36.0 (linux) kubernetes/kyvern"
            }
        }
    }

    /// Each component's kubeconfig, `DATA/<component>.kubeconfig`.
    var kubeconfigs: [Component: String]

    /// The user and groups `component` acts as on node `nodeName`.
    static func identity(of component: Component, nodeName: String) -> (user: String, groups: [String]) {
        switch component {
        case .agent: ("system:node:\(nodeName)", ["system:nodes"])
        case .proxy: ("system:kube-proxy", [])
        case .dns: ("system:coredns", [])
        case .ingress: ("system:kyvern-ingress", [])
        }
    }

    /// Issues the certificates and writes their kubeconfigs into `dataDirectory`.
    static func write(nodeName: String, dataDirectory: String, host: String, port: Int,
                      pki: ClusterPKI) throws -> NodeComponentIdentities {
        var kubeconfigs: [Component: String] = [:]
        for component in Component.allCases {
            let (user, groups) = identity(of: component, nodeName: nodeName)
            kubeconfigs[component] = try KubeconfigWriter.writeComponent(
                component.rawValue, user: user, groups: groups, dataDirectory: dataDirectory, host: host, port: port, pki: pki)
        }
        return NodeComponentIdentities(kubeconfigs: kubeconfigs)
    }

    /// A client acting as `component`.
    func client(_ component: Component, logger: Logger) throws -> APIClient {
        let configuration = try Kubeconfig.load(path: kubeconfigs[component] ?? "").configuration(userAgent: component.userAgent)
        return try APIClient(configuration: configuration, logger: logger)
    }
}
