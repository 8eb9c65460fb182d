/// Computes the nftables mode's desired state (``NftRuleSet``) from the same entries as
/// ``RuleBuilder`` and with the same behaviour, but shaped for fast loading: a full sync of
/// 1,000 Services × 10 endpoints costs about one chain per Service port instead of eleven.
///
/// - Cluster IPs, external IPs, load balancer addresses and node ports are looked up in the
///   verdict maps `service-ips` (`ip daddr . meta l4proto . th dport`) and `service-nodeports`
///   (`meta l4proto . th dport`, on the node's addresses), which jump to a port's
///   `service-`/`local-`/`external-` chain.
/// - A `service-` chain picks an endpoint and DNATs in one rule,
///   `dnat ip to numgen random mod N map { i : ip . port }`; no per-endpoint chains, except with
///   ClientIP affinity, where an `endpoint-` chain records the client in the endpoint's
///   `affinity-` set (`update @set { ip saddr }`, with the Service's timeout) and the service
///   chain first sends known clients back to their endpoint.
/// - Hairpin traffic (an endpoint reaching itself) is found by the `hairpin` set of
///   `endpoint . endpoint` pairs after DNAT and masqueraded; traffic from outside the pod range
///   is marked, as in the iptables mode.
/// - Ports without usable endpoints are in `no-endpoint-services`/`no-endpoint-nodeports`:
///   rejected (TCP reset, ICMP port unreachable otherwise) or dropped (only remote endpoints
///   under policy Local), in filter hooks before NAT.
package struct NftRuleBuilder: Sendable {
    package static let serviceIPs = "service-ips"
    package static let serviceNodePorts = "service-nodeports"
    package static let noEndpointServices = "no-endpoint-services"
    package static let noEndpointNodePorts = "no-endpoint-nodeports"
    package static let hairpin = "hairpin"
    package static let maps = [serviceIPs, serviceNodePorts, noEndpointServices, noEndpointNodePorts, hairpin]

    package let node: RuleBuilder.Node

    package init(node: RuleBuilder.Node) {
        self.node = node
    }

    package func build(_ entries: [RuleBuilder.Entry]) -> NftRuleSet {
        var set = NftRuleSet()
        set.skeleton = skeleton()
        for name in Self.maps { set.elements[name] = [:] }
        var endpointChains: [RuleSet.Chain] = []
        var serviceChains: [RuleSet.Chain] = []
        var externalChains: [RuleSet.Chain] = []
        for entry in entries.sorted(by: { ($0.port.name, $0.port.proto) < ($1.port.name, $1.port.proto) }) {
            write(entry, into: &set, endpoints: &endpointChains, services: &serviceChains, external: &externalChains)
        }
        set.chains = endpointChains + serviceChains + externalChains
        return set
    }

    // MARK: names

    /// `<kind>-<hash>-ns/name/proto/port`: readable, unique, stable across restarts.
    package static func chainName(_ kind: String, _ port: ServicePortSpec) -> String {
        let hash = String(ChainNames.hash(port.name.description + port.proto.rawValue).prefix(8))
        let portName = port.name.port.isEmpty ? String(port.port) : port.name.port
        return "\(kind)-\(hash)-\(port.name.namespace)/\(port.name.name)/\(port.proto.rawValue)/\(portName)"
    }

    package static func endpointChain(_ port: ServicePortSpec, _ endpoint: ProxyEndpoint) -> String {
        let hash = String(ChainNames.hash(port.name.description + port.proto.rawValue + endpoint.description).prefix(8))
        return "endpoint-\(hash)-\(port.name.namespace)/\(port.name.name)/\(port.proto.rawValue)/\(endpoint.ip)/\(endpoint.port)"
    }

    package static func affinitySet(_ port: ServicePortSpec, _ endpoint: ProxyEndpoint, timeout: Int) -> String {
        "affinity-" + ChainNames.hash(port.name.description + port.proto.rawValue + endpoint.description + "/\(timeout)")
    }

    // MARK: one Service port

    private func write(_ entry: RuleBuilder.Entry, into set: inout NftRuleSet, endpoints endpointChains: inout [RuleSet.Chain],
                       services serviceChains: inout [RuleSet.Chain], external externalChains: inout [RuleSet.Chain]) {
        let port = entry.port
        let categories = EndpointCategories(port: port, endpoints: entry.endpoints, nodeName: node.name)
        let proto = port.proto.rawValue
        let clusterChain = Self.chainName("service", port)
        let localChain = Self.chainName("local", port)
        let externalChain = Self.chainName("external", port)
        let routing = ServicePortRouting(port: port, categories: categories)
        let (usesClusterChain, usesLocalChain) = (routing.usesClusterChain, routing.usesLocalChain)
        let (hasInternal, hasExternal) = (routing.hasInternal, routing.hasExternal)
        let usesExternalChain = routing.usesExternalChain
        let internalChain = routing.internalChain(cluster: clusterChain, local: localChain)
        let externalPolicyChain = routing.externalPolicyChain(cluster: clusterChain, local: localChain)
        // As the iptables mode: no endpoints anywhere rejects, only remote ones (policy Local) drops.
        let unusable = categories.hasAny ? "drop" : "goto reject-chain"

        for ip in port.clusterIPs {
            let key = "\(ip) . \(proto) . \(port.port)"
            if hasInternal {
                set.elements[Self.serviceIPs, default: [:]][key] = "goto \(internalChain)"
            } else {
                set.elements[Self.noEndpointServices, default: [:]][key] = unusable
            }
        }
        for ip in port.externalAddresses {
            let key = "\(ip) . \(proto) . \(port.port)"
            if usesExternalChain { set.elements[Self.serviceIPs, default: [:]][key] = "goto \(externalChain)" }
            if !hasExternal { set.elements[Self.noEndpointServices, default: [:]][key] = unusable }
        }
        if let nodePort = port.nodePort {
            let key = "\(proto) . \(nodePort)"
            if usesExternalChain { set.elements[Self.serviceNodePorts, default: [:]][key] = "goto \(externalChain)" }
            if !hasExternal { set.elements[Self.noEndpointNodePorts, default: [:]][key] = unusable }
        }

        if usesExternalChain {
            var rules: [String] = []
            if !port.externalPolicyLocal {
                rules.append("jump mark-for-masquerade")
            } else if let anyChain = usesClusterChain ? clusterChain : (usesLocalChain ? localChain : nil) {
                // Pods and the node itself may use any endpoint; only traffic from outside keeps
                // its source address and needs a local endpoint.
                rules.append("ip saddr \(node.clusterCIDR) goto \(anyChain)")
                rules.append("fib saddr type local jump mark-for-masquerade")
                rules.append("fib saddr type local goto \(anyChain)")
            }
            if hasExternal { rules.append("goto \(externalPolicyChain)") }
            externalChains.append(RuleSet.Chain(name: externalChain, rules: rules))
        }

        var written: Set<String> = []
        var ownEndpointChains: [RuleSet.Chain] = []
        func policyChain(_ chainName: String, _ endpoints: [ProxyEndpoint]) -> RuleSet.Chain {
            var rules: [String] = []
            if chainName == internalChain {
                for ip in port.clusterIPs {
                    rules.append("ip daddr \(ip) \(proto) dport \(port.port) ip saddr != \(node.clusterCIDR) jump mark-for-masquerade")
                }
            }
            for endpoint in endpoints {
                set.elements[Self.hairpin, default: [:]]["\(endpoint.ip) . \(endpoint.ip)"] = ""
            }
            if let timeout = port.affinityTimeout {
                var picks: [String] = []
                for (index, endpoint) in endpoints.enumerated() {
                    let chain = Self.endpointChain(port, endpoint)
                    let affinity = Self.affinitySet(port, endpoint, timeout: timeout)
                    rules.append("ip saddr @\(affinity) goto \(chain)")
                    picks.append("\(index) : goto \(chain)")
                    if written.insert(chain).inserted {
                        set.affinitySets[affinity] = timeout
                        ownEndpointChains.append(RuleSet.Chain(name: chain, rules: [
                            "update @\(affinity) { ip saddr }",
                            "meta l4proto \(proto) dnat ip to \(endpoint.ip):\(endpoint.port)",
                        ]))
                    }
                }
                rules.append("numgen random mod \(endpoints.count) vmap { \(picks.joined(separator: ", ")) }")
            } else if endpoints.count == 1 {
                rules.append("meta l4proto \(proto) dnat ip to \(endpoints[0].ip):\(endpoints[0].port)")
            } else {
                let picks = endpoints.enumerated().map { "\($0.offset) : \($0.element.ip) . \($0.element.port)" }
                rules.append("meta l4proto \(proto) dnat ip to numgen random mod \(endpoints.count) map { \(picks.joined(separator: ", ")) }")
            }
            return RuleSet.Chain(name: chainName, rules: rules)
        }
        if usesClusterChain { serviceChains.append(policyChain(clusterChain, categories.cluster)) }
        if usesLocalChain { serviceChains.append(policyChain(localChain, categories.local)) }
        endpointChains += ownEndpointChains.sorted { $0.name < $1.name }
    }

    // MARK: the fixed part

    /// The maps, helper chains and hooks, in declaration order. Filter hooks run at priority
    /// -110, before NAT, so a port without endpoints is refused before anything rewrites it.
    package func skeleton() -> [String] {
        let mark = RuleBuilder.masqueradeMark
        var lines = [
            "map \(Self.serviceIPs) { type ipv4_addr . inet_proto . inet_service : verdict; }",
            "map \(Self.serviceNodePorts) { type inet_proto . inet_service : verdict; }",
            "map \(Self.noEndpointServices) { type ipv4_addr . inet_proto . inet_service : verdict; }",
            "map \(Self.noEndpointNodePorts) { type inet_proto . inet_service : verdict; }",
            "set \(Self.hairpin) { type ipv4_addr . ipv4_addr; }",
        ]
        var addresses = node.addresses
        if !addresses.isEmpty {
            if node.localhostNodePorts && !addresses.contains("127.0.0.1") { addresses.append("127.0.0.1") }
            lines.append("set nodeport-ips { type ipv4_addr; elements = { \(addresses.joined(separator: ", ")) }; }")
        }
        // Node ports last: a cluster IP match must win over a local address match.
        let nodePortMatch = addresses.isEmpty ? "fib daddr type local" : "ip daddr @nodeport-ips"
        var firewall: [String] = []
        if node.localhostNodePorts {
            // route_localnet would otherwise let other hosts reach 127.0.0.1 services.
            firewall.append("ip daddr 127.0.0.0/8 ip saddr != 127.0.0.0/8 ct state & (established | related) == 0 ct status & dnat == 0 drop")
        }
        lines += [
            "chain mark-for-masquerade { meta mark set meta mark or \(mark); }",
            "chain masquerading { ct status dnat ip saddr . ip daddr @\(Self.hairpin) masquerade; meta mark & \(mark) == 0 return; "
                + "meta mark set meta mark xor \(mark); masquerade fully-random; }",
            "chain reject-chain { meta l4proto tcp reject with tcp reset; reject; }",
            "chain services { ip daddr . meta l4proto . th dport vmap @\(Self.serviceIPs); "
                + "\(nodePortMatch) meta l4proto . th dport vmap @\(Self.serviceNodePorts); }",
            "chain service-endpoints-check { ip daddr . meta l4proto . th dport vmap @\(Self.noEndpointServices); }",
            "chain nodeport-endpoints-check { fib daddr type local meta l4proto . th dport vmap @\(Self.noEndpointNodePorts); }",
            "chain firewall-check {\(firewall.map { " \($0);" }.joined()) }",
            "chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }",
            "chain nat-output { type nat hook output priority -100; policy accept; jump services; }",
            "chain nat-postrouting { type nat hook postrouting priority srcnat; policy accept; jump masquerading; }",
            "chain filter-input { type filter hook input priority -110; policy accept; "
                + "ct state new jump service-endpoints-check; ct state new jump nodeport-endpoints-check; jump firewall-check; }",
            "chain filter-forward { type filter hook forward priority -110; policy accept; "
                + "ct state new jump service-endpoints-check; ct state new jump nodeport-endpoints-check; }",
            "chain filter-output { type filter hook output priority -110; policy accept; "
                + "ct state new jump service-endpoints-check; jump firewall-check; }",
        ]
        return lines
    }
}
