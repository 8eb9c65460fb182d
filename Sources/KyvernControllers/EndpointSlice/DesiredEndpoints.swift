import KyvernAPI

/// The endpoints a Service should have, grouped by the ports they resolve to (upstream's
/// `desiredEndpointsByPortMap`): pods whose named target ports resolve differently cannot share a
/// slice, since a slice has one list of ports for all its endpoints.
struct DesiredEndpoints: Sendable {
    struct Group: Sendable {
        /// As they go into `ports`, in the Service's order.
        var ports: [JSONValue]
        /// By ``EndpointSliceShape/identity(_:)``, sorted by it so slices come out in a stable order.
        var endpoints: [(identity: String, endpoint: JSONValue)]
    }

    /// By ``EndpointSliceShape/portsKey(_:)``.
    var groups: [String: Group] = [:]
    /// Pods skipped because their node is not (yet) in the cache: the sync is retried later.
    var podsOnMissingNodes: [String] = []

    var isEmpty: Bool { groups.values.allSatisfy(\.endpoints.isEmpty) }

    /// The endpoints of `pods` (the Service's selected pods) for `service`; `zone` answers a node
    /// name with its zone label, nil when the node is unknown.
    init(service: ServiceFacts, pods: [JSONValue], node: (String) -> NodeInfo?) {
        for pod in pods where PodEndpointFacts.belongsInEndpoints(pod, includeTerminating: true) {
            let nodeName = PodState.nodeName(pod)
            let info = nodeName.isEmpty ? nil : node(nodeName)
            if !nodeName.isEmpty && info == nil && !service.publishNotReadyAddresses {
                // Upstream skips the pod until its node appears, so a stale pod cannot pin a slice.
                podsOnMissingNodes.append(pod.name ?? "")
                continue
            }
            let endpoint = EndpointSliceShape.endpoint(pod: pod, zone: info?.zone, service: service)
            guard !(endpoint["addresses"]?.arrayValue ?? []).isEmpty else { continue }
            let ports = EndpointSliceShape.ports(service: service, pod: pod)
            let key = EndpointSliceShape.portsKey(ports)
            groups[key, default: Group(ports: ports, endpoints: [])].endpoints
                .append((EndpointSliceShape.identity(endpoint), endpoint))
        }
        for key in groups.keys {
            groups[key]!.endpoints.sort { $0.identity < $1.identity }
        }
    }

    /// What the slice controller needs of a node.
    struct NodeInfo: Sendable {
        var zone: String?
    }
}
