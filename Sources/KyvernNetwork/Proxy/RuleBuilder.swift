/// Computes the whole desired rule set from Service ports, their endpoints and the node: pure
/// code, no I/O, the same output for the same input — upstream kube-proxy's iptables design.
///
/// nat: `KYVERN-SERVICES` matches cluster IPs (and, last, node addresses into
/// `KYVERN-NODEPORTS`); a Service port's `KYVERN-SVC-` chain (policy Cluster) or `KYVERN-SVL-` chain
/// (policy Local) picks an endpoint with the `statistic` match (probabilities 1/n, 1/(n-1), …, so
/// each of n endpoints gets 1/n of new connections) after the `recent` checks of ClientIP
/// affinity; a `KYVERN-SEP-` chain marks hairpin traffic and DNATs. `KYVERN-EXT-` chains take node
/// port traffic. Marked packets are masqueraded in `KYVERN-POSTROUTING`.
///
/// filter: ports without usable endpoints are rejected (no endpoints at all: REJECT, so clients
/// fail at once) or dropped (only non-local endpoints under policy Local), in `KYVERN-SERVICES`
/// for cluster IPs and `KYVERN-EXTERNAL-SERVICES` for node ports.
package struct RuleBuilder: Sendable {
    /// This node: its name (for Local policies), the addresses node ports answer on, and the
    /// cluster's pod range (traffic from outside it is masqueraded).
    package struct Node: Sendable, Equatable {
        package var name: String
        package var addresses: [String]
        package var clusterCIDR: String
        /// Node ports also on 127.0.0.1 (needs `route_localnet`, as upstream).
        package var localhostNodePorts: Bool

        package init(name: String, addresses: [String], clusterCIDR: String, localhostNodePorts: Bool = true) {
            self.name = name
            self.addresses = addresses
            self.clusterCIDR = clusterCIDR
            self.localhostNodePorts = localhostNodePorts
        }
    }

    /// One Service port and every endpoint the slices list for it.
    package struct Entry: Sendable, Equatable {
        package var port: ServicePortSpec
        package var endpoints: [ProxyEndpoint]

        package init(port: ServicePortSpec, endpoints: [ProxyEndpoint]) {
            self.port = port
            self.endpoints = endpoints
        }
    }

    package static let masqueradeMark = "0x4000"

    package let node: Node

    package init(node: Node) {
        self.node = node
    }

    /// The rule set for `entries` (any order; output is sorted by Service port).
    package func build(_ entries: [Entry]) -> RuleSet {
        var nat = NatWriter()
        var filter = FilterWriter()
        for entry in entries.sorted(by: { ($0.port.name, $0.port.proto) < ($1.port.name, $1.port.proto) }) {
            write(entry, nat: &nat, filter: &filter)
        }
        return RuleSet(nat: nat.finish(node: node), filter: filter.finish(node: node))
    }

    // MARK: one Service port

    private func write(_ entry: Entry, nat: inout NatWriter, filter: inout FilterWriter) {
        let port = entry.port
        let categories = EndpointCategories(port: port, endpoints: entry.endpoints, nodeName: node.name)
        let name = port.name.description
        let proto = port.proto.rawValue
        let clusterChain = ChainNames.service(port)
        let localChain = ChainNames.localService(port)
        let externalChain = ChainNames.external(port)
        let routing = ServicePortRouting(port: port, categories: categories)
        let (usesClusterChain, usesLocalChain) = (routing.usesClusterChain, routing.usesLocalChain)
        let (hasInternal, hasExternal) = (routing.hasInternal, routing.hasExternal)
        let usesExternalChain = routing.usesExternalChain
        let internalChain = routing.internalChain(cluster: clusterChain, local: localChain)
        let externalPolicyChain = routing.externalPolicyChain(cluster: clusterChain, local: localChain)

        // Without endpoints: TCP is answered with a reset, others with ICMP port unreachable.
        // (upstream sends ICMP for TCP too; on this kernel an ICMP error for a forwarded SYN is not
        // delivered at once, so clients waited for SYN retries instead of failing immediately.)
        let reject = port.proto == .tcp ? "REJECT --reject-with tcp-reset" : "REJECT --reject-with icmp-port-unreachable"

        // Cluster IPs.
        for ip in port.clusterIPs {
            let match = "-d \(ip)/32 -p \(proto) -m comment --comment \"\(name) cluster IP\" -m \(proto) --dport \(port.port)"
            if hasInternal {
                nat.services.append("\(match) -j \(internalChain)")
            } else {
                let (target, why) = categories.hasAny ? ("DROP", "has no local endpoints") : (reject, "has no endpoints")
                filter.services.append(
                    "-d \(ip)/32 -p \(proto) -m comment --comment \"\(name) \(why)\" -m \(proto) --dport \(port.port) -j \(target)")
            }
        }

        // External IPs and load balancer addresses: like a node port, through the external chain.
        for ip in port.externalAddresses {
            let match = "-d \(ip)/32 -p \(proto) -m comment --comment \"\(name) external IP\" -m \(proto) --dport \(port.port)"
            if usesExternalChain { nat.services.append("\(match) -j \(externalChain)") }
            if !hasExternal {
                let (target, why) = categories.hasAny ? ("DROP", "has no local endpoints") : (reject, "has no endpoints")
                filter.external.append(
                    "-d \(ip)/32 -p \(proto) -m comment --comment \"\(name) \(why)\" -m \(proto) --dport \(port.port) -j \(target)")
            }
        }

        // Node port.
        if let nodePort = port.nodePort {
            if usesExternalChain {
                nat.nodePorts.append("-p \(proto) -m comment --comment \"\(name)\" -m \(proto) --dport \(nodePort) -j \(externalChain)")
            }
            if !hasExternal {
                let (target, why) = categories.hasAny ? ("DROP", "has no local endpoints") : (reject, "has no endpoints")
                filter.external.append("-m addrtype --dst-type LOCAL -p \(proto) -m comment --comment \"\(name) \(why)\" -m \(proto) --dport \(nodePort) -j \(target)")
            }
        }

        // The external entry chain.
        if usesExternalChain {
            var rules: [String] = []
            if !port.externalPolicyLocal {
                rules.append("-m comment --comment \"masquerade traffic for \(name) external destinations\" -j \(ChainNames.markMasquerade)")
            } else {
                // Pods and the node itself may use any endpoint; only traffic from outside keeps
                // its source address and needs a local endpoint.
                let anyChain = usesClusterChain ? clusterChain : (usesLocalChain ? localChain : nil)
                if let anyChain {
                    rules.append("-s \(node.clusterCIDR) -m comment --comment \"pod traffic for \(name) external destinations\" -j \(anyChain)")
                    rules.append("-m comment --comment \"masquerade LOCAL traffic for \(name) external destinations\" -m addrtype --src-type LOCAL -j \(ChainNames.markMasquerade)")
                    rules.append("-m comment --comment \"route LOCAL traffic for \(name) external destinations\" -m addrtype --src-type LOCAL -j \(anyChain)")
                }
            }
            if hasExternal { rules.append("-j \(externalPolicyChain)") }
            nat.chains.append(RuleSet.Chain(name: externalChain, rules: rules))
        }

        // Policy chains and their endpoint chains.
        var endpointChains: [String: RuleSet.Chain] = [:]
        func policyChain(_ chainName: String, _ endpoints: [ProxyEndpoint]) -> RuleSet.Chain {
            var rules: [String] = []
            if chainName == internalChain {
                for ip in port.clusterIPs {
                    rules.append("! -s \(node.clusterCIDR) -d \(ip)/32 -p \(proto) -m comment --comment \"\(name) cluster IP\" -m \(proto) --dport \(port.port) -j \(ChainNames.markMasquerade)")
                }
            }
            if let timeout = port.affinityTimeout {
                for endpoint in endpoints {
                    let sep = ChainNames.endpoint(port, endpoint)
                    rules.append("-m comment --comment \"\(name) -> \(endpoint)\" -m recent --name \(sep) --rcheck --seconds \(timeout) --reap -j \(sep)")
                }
            }
            for (index, endpoint) in endpoints.enumerated() {
                let sep = ChainNames.endpoint(port, endpoint)
                let remaining = endpoints.count - index
                let pick = remaining > 1 ? " -m statistic --mode random --probability \(Self.probability(remaining))" : ""
                rules.append("-m comment --comment \"\(name) -> \(endpoint)\"\(pick) -j \(sep)")
                if endpointChains[sep] == nil {
                    let affinity = port.affinityTimeout == nil ? "" : " -m recent --name \(sep) --set"
                    endpointChains[sep] = RuleSet.Chain(name: sep, rules: [
                        "-s \(endpoint.ip)/32 -m comment --comment \"\(name)\" -j \(ChainNames.markMasquerade)",
                        "-p \(proto) -m comment --comment \"\(name)\"\(affinity) -m \(proto) -j DNAT --to-destination \(endpoint)",
                    ])
                }
            }
            return RuleSet.Chain(name: chainName, rules: rules)
        }
        if usesClusterChain { nat.chains.append(policyChain(clusterChain, categories.cluster)) }
        if usesLocalChain { nat.chains.append(policyChain(localChain, categories.local)) }
        nat.chains.append(contentsOf: endpointChains.values.sorted { $0.name < $1.name })
    }

    /// `1/n` with upstream's ten decimals.
    static func probability(_ n: Int) -> String {
        let value = 1.0 / Double(n)
        let scaled = (value * 1e10).rounded()
        let whole = Int(scaled) / 10_000_000_000
        let fraction = String(Int(scaled) % 10_000_000_000)
        return "\(whole)." + String(repeating: "0", count: 10 - fraction.count) + fraction
    }
}

/// The nat table's chains as they are written.
private struct NatWriter {
    var services: [String] = []
    var nodePorts: [String] = []
    var chains: [RuleSet.Chain] = []

    func finish(node: RuleBuilder.Node) -> RuleSet.Table {
        var services = services
        // Node ports last, as upstream: a cluster IP match must win over a local address match.
        if node.addresses.isEmpty {
            services.append("-m comment --comment \"kyvern service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j \(ChainNames.nodePorts)")
        } else {
            var addresses = node.addresses
            if node.localhostNodePorts && !addresses.contains("127.0.0.1") { addresses.append("127.0.0.1") }
            for address in addresses {
                services.append("-d \(address)/32 -m comment --comment \"kyvern service nodeports; NOTE: this must be the last rules in this chain\" -j \(ChainNames.nodePorts)")
            }
        }
        let mark = RuleBuilder.masqueradeMark
        return RuleSet.Table(name: "nat", chains: [
            RuleSet.Chain(name: ChainNames.services, rules: services),
            RuleSet.Chain(name: ChainNames.nodePorts, rules: nodePorts),
            RuleSet.Chain(name: ChainNames.markMasquerade, rules: ["-j MARK --or-mark \(mark)"]),
            RuleSet.Chain(name: ChainNames.postrouting, rules: [
                "-m mark ! --mark \(mark)/\(mark) -j RETURN",
                "-j MARK --xor-mark \(mark)",
                "-m comment --comment \"kyvern service traffic requiring SNAT\" -j MASQUERADE --random-fully",
            ]),
        ] + chains)
    }
}

/// The filter table's chains as they are written.
private struct FilterWriter {
    var services: [String] = []
    var external: [String] = []

    func finish(node: RuleBuilder.Node) -> RuleSet.Table {
        let mark = RuleBuilder.masqueradeMark
        var firewall: [String] = []
        if node.localhostNodePorts {
            // route_localnet would otherwise let other hosts reach 127.0.0.1 services.
            firewall.append("-d 127.0.0.0/8 ! -s 127.0.0.0/8 -m comment --comment \"block incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP")
        }
        return RuleSet.Table(name: "filter", chains: [
            RuleSet.Chain(name: ChainNames.services, rules: services),
            RuleSet.Chain(name: ChainNames.externalServices, rules: external),
            RuleSet.Chain(name: ChainNames.forward, rules: [
                "-m comment --comment \"kyvern forwarding rules\" -m mark --mark \(mark)/\(mark) -j ACCEPT",
                "-m comment --comment \"kyvern forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            ]),
            RuleSet.Chain(name: ChainNames.firewall, rules: firewall),
        ])
    }
}
