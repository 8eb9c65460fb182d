/// Which endpoints each kind of traffic of one Service port may use — upstream's categorising:
/// ready endpoints, falling back to serving-and-terminating ones when none is ready (so a rolling
/// update that leaves only terminating pods still answers), separately for the whole cluster and
/// for this node.
package struct EndpointCategories: Equatable, Sendable {
    /// For traffic with policy Cluster.
    package var cluster: [ProxyEndpoint] = []
    /// For traffic with policy Local: this node's endpoints.
    package var local: [ProxyEndpoint] = []
    /// Whether any endpoint (ready, or serving and terminating) exists anywhere; without one the
    /// Service rejects connections instead of dropping them.
    package var hasAny = false

    package init(port: ServicePortSpec, endpoints: [ProxyEndpoint], nodeName: String) {
        if port.usesClusterEndpoints {
            cluster = endpoints.filter(\.ready)
            if cluster.isEmpty { cluster = endpoints.filter { $0.serving && $0.terminating } }
            hasAny = !cluster.isEmpty
        }
        guard port.usesLocalEndpoints else { return }
        let usable = endpoints.filter { $0.ready || ($0.serving && $0.terminating) }
        if !usable.isEmpty { hasAny = true }
        let localReady = endpoints.filter { $0.ready && $0.isLocal(to: nodeName) }
        local = localReady.isEmpty
            ? endpoints.filter { $0.serving && $0.terminating && $0.isLocal(to: nodeName) }
            : localReady
    }

    package init(cluster: [ProxyEndpoint], local: [ProxyEndpoint], hasAny: Bool) {
        self.cluster = cluster
        self.local = local
        self.hasAny = hasAny
    }
}
