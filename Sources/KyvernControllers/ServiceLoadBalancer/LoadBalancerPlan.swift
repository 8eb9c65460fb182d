import KyvernAPI

/// Decides, for every Service at once, which addresses the built-in service load balancer gives
/// it. Addresses are a shared resource (a pool address, or a port on the nodes' addresses), so
/// the decision is global: Services that already hold an address keep it, and newer ones get
/// what is left, oldest first, so an update never moves a working Service.
struct LoadBalancerPlan: Sendable, Equatable {
    /// What one Service should show in `status.loadBalancer.ingress`.
    enum Outcome: Sendable, Equatable {
        /// Ours and served at these addresses.
        case assigned([String])
        /// Ours, but no address can be given; the reason goes into a Warning event.
        case pending(String)
        /// Not (or no longer) ours to serve: an address we wrote earlier is taken away.
        case released
    }

    /// The `loadBalancerClass` this load balancer answers to besides none at all.
    static let loadBalancerClass = "kyvern.io/service-lb"
    /// Upstream's label that keeps a node out of external load balancers.
    static let excludeLabel = "node.kubernetes.io/exclude-from-external-load-balancers"

    let outcomes: [ObjectKey: Outcome]

    /// Whether `service` is a LoadBalancer this load balancer serves: no class, or ours.
    static func isOurs(_ service: JSONValue) -> Bool {
        guard service[path: ["spec", "type"]]?.stringValue == "LoadBalancer" else { return false }
        let cls = service[path: ["spec", "loadBalancerClass"]]?.stringValue
        return cls == nil || cls == loadBalancerClass
    }

    /// The IPs `service` shows now.
    static func currentIPs(_ service: JSONValue) -> [String] {
        (service[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }
    }

    /// The InternalIP (else ExternalIP) of every Ready node not excluded by label, sorted, unique.
    static func nodeAddresses(_ nodes: [JSONValue]) -> [String] {
        var addresses = Set<String>()
        for node in nodes where node.labels[excludeLabel] == nil {
            let ready = (node[path: ["status", "conditions"]]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            }
            guard ready else { continue }
            let all = node[path: ["status", "addresses"]]?.arrayValue ?? []
            let pick = { (type: String) in
                all.first { $0["type"]?.stringValue == type }?["address"]?.stringValue
            }
            if let address = pick("InternalIP") ?? pick("ExternalIP"), ClusterCIDR.parseIPv4(address) != nil {
                addresses.insert(address)
            }
        }
        return addresses.sorted { (ClusterCIDR.parseIPv4($0) ?? 0) < (ClusterCIDR.parseIPv4($1) ?? 0) }
    }

    init(services: [JSONValue], pool: LoadBalancerAddressPool, nodeAddresses: [String]) {
        var outcomes: [ObjectKey: Outcome] = [:]
        var ours: [JSONValue] = []
        for service in services {
            if Self.isOurs(service) {
                ours.append(service)
            } else if service[path: ["spec", "loadBalancerClass"]] == nil, !Self.currentIPs(service).isEmpty {
                // Was ours (a LoadBalancer without a class) and changed type: its address goes back.
                outcomes[ObjectKey(service)] = .released
            }
        }
        // Holders first (they keep what they have), then oldest first, then by name.
        ours.sort { a, b in
            let (heldA, heldB) = (!Self.currentIPs(a).isEmpty, !Self.currentIPs(b).isEmpty)
            if heldA != heldB { return heldA }
            let (ta, tb) = (a[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "",
                            b[path: ["metadata", "creationTimestamp"]]?.stringValue ?? "")
            if ta != tb { return ta < tb }
            return ObjectKey(a) < ObjectKey(b)
        }
        if pool.isEmpty {
            Self.shareNodeAddresses(ours, nodeAddresses: nodeAddresses, into: &outcomes)
        } else {
            Self.allocateFromPool(ours, pool: pool, into: &outcomes)
        }
        self.outcomes = outcomes
    }

    /// One pool address per Service: the one asked for in `spec.loadBalancerIP`, else the one it
    /// holds, else the first free.
    private static func allocateFromPool(_ services: [JSONValue], pool: LoadBalancerAddressPool,
                                         into outcomes: inout [ObjectKey: Outcome]) {
        var taken: [String: ObjectKey] = [:]
        for service in services {
            let key = ObjectKey(service)
            if let requested = service[path: ["spec", "loadBalancerIP"]]?.stringValue, !requested.isEmpty {
                if !pool.contains(requested) {
                    outcomes[key] = .pending("requested address \(requested) is not in the load balancer address pool")
                } else if let holder = taken[requested] {
                    outcomes[key] = .pending("requested address \(requested) is already in use by \(holder)")
                } else {
                    taken[requested] = key
                    outcomes[key] = .assigned([requested])
                }
                continue
            }
            if let held = currentIPs(service).first, pool.contains(held), taken[held] == nil {
                taken[held] = key
                outcomes[key] = .assigned([held])
            } else if let free = pool.firstFree(excluding: Set(taken.keys)) {
                taken[free] = key
                outcomes[key] = .assigned([free])
            } else {
                outcomes[key] = .pending("no address is free in the load balancer address pool")
            }
        }
    }

    /// Every Service on every node address, as long as none of its ports is already served there
    /// by another Service (the first keeps it; the later one waits until the port is free).
    private static func shareNodeAddresses(_ services: [JSONValue], nodeAddresses: [String],
                                           into outcomes: inout [ObjectKey: Outcome]) {
        var used: [String: ObjectKey] = [:]
        for service in services {
            let key = ObjectKey(service)
            guard !nodeAddresses.isEmpty else {
                outcomes[key] = .pending("no Ready node has an address to serve the load balancer on")
                continue
            }
            let ports = (service[path: ["spec", "ports"]]?.arrayValue ?? []).compactMap { port -> String? in
                guard let number = port["port"]?.intValue else { return nil }
                return "\(number)/\(port["protocol"]?.stringValue ?? "TCP")"
            }
            if let clash = ports.first(where: { used[$0] != nil }), let holder = used[clash] {
                outcomes[key] = .pending("port \(clash) is already served on the node addresses by \(holder)")
                continue
            }
            for port in ports { used[port] = key }
            outcomes[key] = .assigned(nodeAddresses)
        }
    }

    /// The `status.loadBalancer` an outcome writes (pending keeps none).
    static func status(for outcome: Outcome) -> JSONValue {
        guard case .assigned(let ips) = outcome else { return [:] }
        return ["ingress": .array(ips.map { ["ip": .string($0), "ipMode": "VIP"] })]
    }
}
