import KyvernAPI

/// Compiles NetworkPolicies into one node's ``PolicyRuleSet``, with upstream's semantics: a pod
/// no policy selects allows everything; a pod selected for a direction allows there only what
/// some selecting policy's rules allow. Peers are resolved to the addresses of the pods they
/// select in the whole cluster; named ports to the container ports of the pod that receives
/// the traffic (the selected pod for ingress, the peer for egress). Pure, so tested without a
/// kernel, and fast: peers are resolved once per distinct selector.
package struct PolicyCompiler: Sendable {
    package let nodeName: String

    package init(nodeName: String) {
        self.nodeName = nodeName
    }

    /// What a compilation needs of the cluster, indexed once.
    struct Cluster {
        var podsByNamespace: [String: [PolicyPod]] = [:]
        var namespaces: [PolicyNamespace]
        var allPods: [PolicyPod]

        init(pods: [PolicyPod], namespaces: [PolicyNamespace]) {
            for pod in pods { podsByNamespace[pod.namespace, default: []].append(pod) }
            // A namespace whose object the cache lacks still has its name label.
            var known = Dictionary(namespaces.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for name in podsByNamespace.keys where known[name] == nil { known[name] = PolicyNamespace(name: name) }
            self.namespaces = known.values.sorted { $0.name < $1.name }
            self.allPods = pods
        }
    }

    package func compile(policies: [NetworkPolicyModel], pods: [PolicyPod], namespaces: [PolicyNamespace]) -> PolicyRuleSet {
        let cluster = Cluster(pods: pods, namespaces: namespaces)
        var peerCache: [PeerKey: ResolvedPeer] = [:]
        var set = PolicyRuleSet()
        for policy in policies.sorted(by: { $0.key < $1.key }) {
            let targets = (cluster.podsByNamespace[policy.namespace] ?? [])
                .filter { $0.nodeName == nodeName && policy.podSelector.matches($0.labels) }
            guard !targets.isEmpty else { continue }
            if let rules = policy.ingress {
                for pod in targets { set.ingressPods[pod.ip, default: []].append(policy.key) }
                let matches = rules.flatMap { matchesOf($0, policy: policy, direction: .ingress, targets: targets,
                                                        cluster: cluster, cache: &peerCache) }
                set.ingress.append(.init(policy: policy.key, direction: .ingress, matches: unique(matches)))
            }
            if let rules = policy.egress {
                for pod in targets { set.egressPods[pod.ip, default: []].append(policy.key) }
                let matches = rules.flatMap { matchesOf($0, policy: policy, direction: .egress, targets: targets,
                                                        cluster: cluster, cache: &peerCache) }
                set.egress.append(.init(policy: policy.key, direction: .egress, matches: unique(matches)))
            }
        }
        return set
    }

    private func unique(_ matches: [PolicyRuleSet.Match]) -> [PolicyRuleSet.Match] {
        guard matches.count > 1 else { return matches }
        var seen: Set<PolicyRuleSet.Match> = []
        return matches.filter { seen.insert($0).inserted }
    }

    // MARK: one rule

    private func matchesOf(_ rule: NetworkPolicyModel.Rule, policy: NetworkPolicyModel, direction: PolicyRuleSet.Direction,
                           targets: [PolicyPod], cluster: Cluster, cache: inout [PeerKey: ResolvedPeer]) -> [PolicyRuleSet.Match] {
        // The peers: every address, or the selected pods' plus each block.
        var resolved: [ResolvedPeer] = []
        var blocks: [(cidr: String, except: [String])] = []
        for peer in rule.peers {
            switch peer {
            case .pods(let pods, let namespaces):
                let key = PeerKey(pods: pods, namespaces: namespaces, own: namespaces == nil ? policy.namespace : "")
                if let known = cache[key] {
                    resolved.append(known)
                } else {
                    let found = resolve(key, cluster: cluster)
                    cache[key] = found
                    resolved.append(found)
                }
            case .block(let cidr, let except):
                blocks.append((cidr, except))
            }
        }
        var peers: [PolicyRuleSet.Peer] = []
        if rule.peers.isEmpty {
            peers = [.any]
        } else {
            // One selector (the usual case) reuses its sorted list; several are merged.
            let addresses = resolved.count == 1 ? resolved[0].addresses : Set(resolved.flatMap(\.addresses)).sorted()
            if !addresses.isEmpty { peers.append(.addresses(addresses)) }
            peers += blocks.map { .block(cidr: $0.cidr, except: $0.except) }
        }

        // Ports by number apply as they are; named ones resolve per receiving pod.
        var numbered: [PolicyRuleSet.PortRange] = []
        var named: [(name: String, proto: String)] = []
        for port in rule.ports {
            switch port.number {
            case .any: numbered.append(.init(proto: port.proto))
            case .range(let first, let last): numbered.append(.init(proto: port.proto, ports: first...last))
            case .named(let name): named.append((name, port.proto))
            }
        }
        var matches: [PolicyRuleSet.Match] = []
        if rule.ports.isEmpty || !numbered.isEmpty {
            matches += peers.map { PolicyRuleSet.Match(peer: $0, ports: numbered) }
        }
        for (name, proto) in named {
            switch direction {
            case .ingress:
                var byNumber: [Int: [String]] = [:]
                for pod in targets { if let number = pod.port(named: name, proto: proto) { byNumber[number, default: []].append(pod.ip) } }
                // Pods of one Deployment declare the port alike: no need to name them then.
                let everyTarget = byNumber.count == 1 && byNumber.first?.value.count == targets.count
                for (number, ips) in byNumber.sorted(by: { $0.key < $1.key }) {
                    matches += peers.map {
                        PolicyRuleSet.Match(peer: $0, ports: [.init(proto: proto, ports: number...number)],
                                            localPods: everyTarget ? nil : ips.sorted())
                    }
                }
            case .egress:
                // The destination is the peer: only pods declaring the port can match, each at its number.
                var receivers: [PolicyPod] = []
                if rule.peers.isEmpty {
                    receivers = cluster.allPods
                } else {
                    receivers = resolved.flatMap(\.pods)
                    for block in blocks {
                        let outer = IPv4Network(block.cidr)
                        let holes = block.except.compactMap(IPv4Network.init)
                        receivers += cluster.allPods.filter { pod in
                            outer?.contains(pod.ip) == true && !holes.contains { $0.contains(pod.ip) }
                        }
                    }
                }
                var byNumber: [Int: Set<String>] = [:]
                for pod in receivers { if let number = pod.port(named: name, proto: proto) { byNumber[number, default: []].insert(pod.ip) } }
                for (number, ips) in byNumber.sorted(by: { $0.key < $1.key }) {
                    matches.append(.init(peer: .addresses(ips.sorted()), ports: [.init(proto: proto, ports: number...number)]))
                }
            }
        }
        return matches
    }

    // MARK: peers

    /// A pod peer as resolved: `own` is the policy's namespace when no namespaceSelector is given.
    struct PeerKey: Hashable {
        var pods: LabelSelector
        var namespaces: LabelSelector?
        var own: String
    }

    /// A peer's pods and their sorted, unique addresses, computed once per distinct peer.
    struct ResolvedPeer {
        var pods: [PolicyPod]
        var addresses: [String]
    }

    private func resolve(_ key: PeerKey, cluster: Cluster) -> ResolvedPeer {
        var found: [PolicyPod] = []
        if let namespaceSelector = key.namespaces {
            for namespace in cluster.namespaces where namespaceSelector.matches(namespace.labels) {
                found += (cluster.podsByNamespace[namespace.name] ?? []).filter { key.pods.matches($0.labels) }
            }
        } else {
            found = (cluster.podsByNamespace[key.own] ?? []).filter { key.pods.matches($0.labels) }
        }
        return ResolvedPeer(pods: found, addresses: Set(found.map(\.ip)).sorted())
    }
}
