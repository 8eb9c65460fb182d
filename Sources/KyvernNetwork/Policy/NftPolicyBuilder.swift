/// Writes a ``PolicyRuleSet`` as the `nft -f` input that replaces table `inet kyvern-policy` in
/// one transaction (all of it or nothing: a pod is never half-isolated).
///
/// - Each policy gets a chain per direction, its matches `accept`; a pod several policies isolate
///   gets an `isolated-` chain (one per distinct set of policies) that jumps to each of theirs.
/// - Maps `ingress-pods` and `egress-pods` jump from a local pod's address to its policy's chain
///   or its `isolated-` chain; what no policy accepted comes back and is dropped when the address
///   is in `ingress-isolated`/`egress-isolated` (a chain per pod would cost the kernel more).
/// - Base chains on forward (egress at priority 0, then ingress at 1, so an `accept` in the
///   egress check leaves the ingress check still to pass) and on input (a pod's egress to the
///   node itself). Replies of allowed connections pass first; traffic from the node's own
///   addresses (probes, the kubelet) reaches its pods, as upstream CNIs allow.
/// - Pod address lists become named sets, one per distinct list, so a list shared by many
///   policies is loaded once.
package struct NftPolicyBuilder: Sendable {
    package static let family = "inet"
    package static let table = "kyvern-policy"
    package static let qualifiedTable = "\(family) \(table)"
    /// Deletes the table, if there is one, in one transaction.
    package static let removal = "add table \(qualifiedTable)\ndelete table \(qualifiedTable)\n"

    /// What one build produced: the text and its size, for the log and the benchmark.
    package struct Output: Sendable, Equatable {
        package var text: String
        package var rules: Int
        package var chains: Int
        package var sets: Int
        package var isolatedPods: Int
    }

    package init() {}

    package static func chainName(_ direction: PolicyRuleSet.Direction, policy: String) -> String {
        "\(direction.rawValue)-\(ChainNames.hash(direction.rawValue + policy).prefix(8))-\(policy.prefix(200))"
    }

    package static func isolationChain(_ direction: PolicyRuleSet.Direction, policies: [String]) -> String {
        "isolated-\(direction.rawValue)-" + ChainNames.hash(policies.joined(separator: ","))
    }

    package func build(_ set: PolicyRuleSet) -> Output {
        var sets = AddressSets()
        var chains: [(name: String, rules: [String])] = []
        var rules = 0
        for chain in set.ingress + set.egress {
            let body = chain.matches.flatMap { self.rules(for: $0, direction: chain.direction, sets: &sets) }
            rules += body.count
            chains.append((Self.chainName(chain.direction, policy: chain.policy), body))
        }
        var maps: [PolicyRuleSet.Direction: [String]] = [:]
        for (direction, pods) in [(PolicyRuleSet.Direction.ingress, set.ingressPods), (.egress, set.egressPods)] {
            var groups: [[String]: String] = [:]
            for (ip, policies) in pods.sorted(by: { $0.key < $1.key }) {
                let name: String
                if let known = groups[policies] {
                    name = known
                } else if policies.count == 1 {
                    name = Self.chainName(direction, policy: policies[0])
                    groups[policies] = name
                } else {
                    name = Self.isolationChain(direction, policies: policies)
                    groups[policies] = name
                    chains.append((name, policies.map { "jump " + Self.chainName(direction, policy: $0) }))
                    rules += policies.count
                }
                maps[direction, default: []].append("\(ip) : jump \(name)")
            }
        }

        var out = Self.removal
        out += "table \(Self.qualifiedTable) {\n"
        for (name, elements) in sets.byName.sorted(by: { $0.key < $1.key }) {
            out += "\tset \(name) { type ipv4_addr; elements = { \(elements.joined(separator: ", ")) }; }\n"
        }
        for chain in chains {
            out += "\tchain \(chain.name) {\n"
            for rule in chain.rules { out += "\t\t\(rule);\n" }
            out += "\t}\n"
        }
        for direction in [PolicyRuleSet.Direction.ingress, .egress] {
            let elements = maps[direction] ?? []
            let pods = direction == .ingress ? set.ingressPods : set.egressPods
            let body = elements.isEmpty ? "" : " elements = { \(elements.joined(separator: ", ")) };"
            let members = pods.isEmpty ? "" : " elements = { \(pods.keys.sorted().joined(separator: ", ")) };"
            out += "\tmap \(direction.rawValue)-pods { type ipv4_addr : verdict;\(body) }\n"
            out += "\tset \(direction.rawValue)-isolated { type ipv4_addr;\(members) }\n"
        }
        let replies = "ct state established,related accept;"
        out += "\tchain egress-forward { type filter hook forward priority 0; policy accept; \(replies) "
            + "ip saddr vmap @egress-pods; ip saddr @egress-isolated drop; }\n"
        out += "\tchain ingress-forward { type filter hook forward priority 1; policy accept; \(replies) "
            + "fib saddr type local accept; ip daddr vmap @ingress-pods; ip daddr @ingress-isolated drop; }\n"
        out += "\tchain egress-input { type filter hook input priority 0; policy accept; \(replies) "
            + "ip saddr vmap @egress-pods; ip saddr @egress-isolated drop; }\n"
        out += "}\n"
        let isolated = Set(set.ingressPods.keys).union(set.egressPods.keys).count
        return Output(text: out, rules: rules, chains: chains.count + 3, sets: sets.byName.count, isolatedPods: isolated)
    }

    /// The `accept` rules of one match: one per port range (nft matches one protocol per rule),
    /// and per address of a short list (a kernel set costs more to load than a few rules).
    private func rules(for match: PolicyRuleSet.Match, direction: PolicyRuleSet.Direction,
                       sets: inout AddressSets) -> [String] {
        let (remote, local) = direction == .ingress ? ("saddr", "daddr") : ("daddr", "saddr")
        var prefixes: [[String]] = [[]]
        func combine(_ alternatives: [String]) {
            prefixes = prefixes.flatMap { prefix in alternatives.map { prefix + [$0] } }
        }
        if let pods = match.localPods { combine(addressMatches(pods, sets: &sets).map { "ip \(local) \($0)" }) }
        switch match.peer {
        case .any: break
        case .addresses(let addresses): combine(addressMatches(addresses, sets: &sets).map { "ip \(remote) \($0)" })
        case .block(let cidr, let except):
            combine(["ip \(remote) \(cidr)"])
            if !except.isEmpty { combine(["ip \(remote) != { \(except.joined(separator: ", ")) }"]) }
        }
        var ports: [[String]] = []
        for port in match.ports {
            var parts = ["meta l4proto \(port.proto.lowercased())"]
            if let range = port.ports {
                parts.append(range.count == 1 ? "th dport \(range.lowerBound)" : "th dport \(range.lowerBound)-\(range.upperBound)")
            }
            ports.append(parts)
        }
        if ports.isEmpty { ports = [[]] }
        return prefixes.flatMap { prefix in ports.map { (prefix + $0 + ["accept"]).joined(separator: " ") } }
    }

    /// Up to `inlineLimit` addresses one by one; more through a named set, shared by every rule
    /// naming the same list.
    private func addressMatches(_ addresses: [String], sets: inout AddressSets) -> [String] {
        if addresses.count <= Self.inlineLimit { return addresses }
        return ["@" + sets.name(for: addresses)]
    }

    /// Lists this short are written as a rule per address rather than a set.
    package static let inlineLimit = 4

    /// The named sets of one build: each distinct list named once (by a stable hash of it).
    struct AddressSets {
        var byName: [String: [String]] = [:]
        var byList: [[String]: String] = [:]

        mutating func name(for addresses: [String]) -> String {
            if let known = byList[addresses] { return known }
            let name = "addresses-" + ChainNames.hash(addresses.joined(separator: ","))
            byList[addresses] = name
            byName[name] = addresses
            return name
        }
    }
}
