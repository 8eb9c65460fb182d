/// Writes a ``PolicyRuleSet`` as chains of the iptables filter table, all named
/// `KYVERN-NETPOL-…`, for `iptables-restore --noflush` (the proxy's iptables mode).
///
/// Unlike nftables, an `ACCEPT` in iptables ends the packet's walk through the whole built-in
/// chain, so these chains only ever drop or `RETURN`: what they allow goes on to the proxy's and
/// the machine's own rules. Allowing is a mark bit:
///
/// - `KYVERN-NETPOL-FORWARD` (jumped to first from FORWARD) lets replies pass, then runs the egress
///   check, then (for traffic not from the node itself: probes, the kubelet) the ingress check;
///   `KYVERN-NETPOL-INPUT` (from INPUT) runs the egress check for a pod talking to its node.
/// - `KYVERN-NETPOL-EGRESS`/`-INGRESS` go (`-g`) from an isolated pod's address to the chain of
///   the policies isolating it. One policy alone (the usual case): its own chain, whose matches
///   `RETURN` (to the caller of the dispatch chain, since it was reached by goto) and which drops
///   at its end. Several: a chain that clears the bit, jumps to each policy's shared chain,
///   returns (clearing the bit) once one set it, and drops otherwise.
/// - A shared policy chain's matches go (`-g`) to `KYVERN-NETPOL-ALLOW`, which sets the bit;
///   returning from it skips the rest of the policy's chain.
/// - Address lists longer than ``inlineLimit`` become chains of their own (one rule per address),
///   shared by every match naming the same list, as the nftables form shares named sets.
package struct IptablesPolicyBuilder: Sendable {
    package static let prefix = ChainNames.policyPrefix
    package static let forward = prefix + "FORWARD"
    package static let input = prefix + "INPUT"
    package static let ingressPods = prefix + "INGRESS"
    package static let egressPods = prefix + "EGRESS"
    package static let allow = prefix + "ALLOW"
    package static let pass = prefix + "PASS"
    /// The bit a policy's match sets; the proxy's masquerade mark is 0x4000.
    package static let mark = "0x10000"

    /// The rules in built-in chains leading here, each to be the first of its chain: before the
    /// proxy's, which accept some traffic (marked for masquerading) outright.
    package static let hooks: [(chain: String, rule: String)] = [
        ("FORWARD", "-m comment --comment \"kyvern network policies\" -j \(forward)"),
        ("INPUT", "-m comment --comment \"kyvern network policies\" -j \(input)"),
    ]

    /// Lists this short are written as a rule per address rather than a chain.
    package static let inlineLimit = 4

    package struct Chain: Sendable, Equatable {
        package var name: String
        package var rules: [String]
    }

    /// What one build produced: every chain, sorted by name, and its size.
    package struct Output: Sendable, Equatable {
        package var chains: [Chain]
        package var rules: Int
        package var isolatedPods: Int
    }

    package init() {}

    /// `KYVERN-NETPOL-` and two letters then 12 of a hash: 28 characters, iptables' limit.
    static func name(_ kind: String, _ identity: String) -> String {
        prefix + kind + ChainNames.hash(kind + identity).prefix(12)
    }

    package static func policyChain(_ direction: PolicyRuleSet.Direction, policy: String) -> String {
        name(direction == .ingress ? "PI" : "PE", policy)
    }

    /// A policy's chain when it alone isolates some pods: its matches, then the drop.
    package static func soloChain(_ direction: PolicyRuleSet.Direction, policy: String) -> String {
        name(direction == .ingress ? "OI" : "OE", policy)
    }

    package static func isolationChain(_ direction: PolicyRuleSet.Direction, policies: [String]) -> String {
        name(direction == .ingress ? "SI" : "SE", policies.joined(separator: ","))
    }

    /// Chains made so far in one build, and the hash of each address list met (a list shared by
    /// many policies is the same array, hashed once).
    struct Chains {
        var byName: [String: [String]] = [:]
        var listHashes: [[String]: String] = [:]

        mutating func hash(_ list: [String]) -> String {
            if let known = listHashes[list] { return known }
            let hash = ChainNames.hash(list.joined(separator: ","))
            listHashes[list] = hash
            return hash
        }
    }

    package func build(_ set: PolicyRuleSet) -> Output {
        var made = Chains()
        let clear = "-j MARK --set-xmark 0x0/\(Self.mark)"
        let passMarked = "-m mark --mark \(Self.mark)/\(Self.mark) -g \(Self.pass)"
        // Which policies isolate some pod alone, which together with others, by direction.
        var alone: [PolicyRuleSet.Direction: Set<String>] = [:]
        var together: [PolicyRuleSet.Direction: Set<String>] = [:]
        for (direction, pods) in [(PolicyRuleSet.Direction.ingress, set.ingressPods), (.egress, set.egressPods)] {
            for policies in Set(pods.values) {
                if policies.count == 1 { alone[direction, default: []].insert(policies[0]) } else { together[direction, default: []].formUnion(policies) }
            }
        }
        for chain in set.ingress + set.egress {
            if together[chain.direction]?.contains(chain.policy) == true {
                var rules: [String] = []
                for match in chain.matches {
                    rules += self.rules(for: match, direction: chain.direction, allowed: "-g \(Self.allow)", chains: &made).rules
                }
                made.byName[Self.policyChain(chain.direction, policy: chain.policy)] = rules
            }
            if alone[chain.direction]?.contains(chain.policy) == true {
                // The policy's own isolation chain: allowed traffic returns at once (to the
                // caller of the dispatch chain, which went here); what a condition chain allowed
                // comes back marked, so those come last, before the one check that clears the
                // mark on the way out.
                var direct: [String] = []
                var chained: [String] = []
                for match in chain.matches {
                    let result = self.rules(for: match, direction: chain.direction, allowed: "-j RETURN", chains: &made)
                    if result.chained { chained += result.rules } else { direct += result.rules }
                }
                var rules = direct
                if !chained.isEmpty { rules = [clear] + direct + chained + [passMarked] }
                rules.append("-m comment --comment \"\(chain.policy)\" -j DROP")
                made.byName[Self.soloChain(chain.direction, policy: chain.policy)] = rules
            }
        }
        var chains = made.byName
        for (direction, pods, dispatch) in [(PolicyRuleSet.Direction.ingress, set.ingressPods, Self.ingressPods),
                                            (.egress, set.egressPods, Self.egressPods)] {
            let flag = direction == .ingress ? "-d" : "-s"
            var rules: [String] = []
            var names: [[String]: String] = [:]
            for (ip, policies) in pods.sorted(by: { $0.key < $1.key }) {
                if let known = names[policies] {
                    rules.append("\(flag) \(ip) -g \(known)")
                    continue
                }
                let isolation = policies.count == 1 ? Self.soloChain(direction, policy: policies[0])
                    : Self.isolationChain(direction, policies: policies)
                names[policies] = isolation
                if chains[isolation] == nil {
                    var body = [clear]
                    for policy in policies {
                        body.append("-m comment --comment \"\(policy)\" -j \(Self.policyChain(direction, policy: policy))")
                        body.append(passMarked)
                    }
                    body.append("-j DROP")
                    chains[isolation] = body
                }
                rules.append("\(flag) \(ip) -g \(isolation)")
            }
            chains[dispatch] = rules
        }
        let replies = "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
        chains[Self.forward] = [replies, "-j \(Self.egressPods)", "-m addrtype --src-type LOCAL -j RETURN", "-j \(Self.ingressPods)"]
        chains[Self.input] = [replies, "-j \(Self.egressPods)"]
        chains[Self.allow] = ["-j MARK --set-xmark \(Self.mark)/\(Self.mark)"]
        chains[Self.pass] = [clear]
        let sorted = chains.map { Chain(name: $0.key, rules: $0.value) }.sorted { $0.name < $1.name }
        return Output(chains: sorted, rules: sorted.reduce(0) { $0 + $1.rules.count },
                      isolatedPods: Set(set.ingressPods.keys).union(set.egressPods.keys).count)
    }

    /// The rules of one match in its policy's chain: inline conditions (ports, short address
    /// lists, a block without exceptions) multiplied out, then either `-g ALLOW` or a jump to the
    /// first of the chains the other conditions need, each going on to the next when it matches.
    private func rules(for match: PolicyRuleSet.Match, direction: PolicyRuleSet.Direction, allowed: String,
                       chains: inout Chains) -> (rules: [String], chained: Bool) {
        let (remote, local) = direction == .ingress ? ("-s", "-d") : ("-d", "-s")
        enum Condition {
            case inline([String])
            case addresses(flag: String, [String])
            case block(flag: String, cidr: String, except: [String])
        }
        var conditions: [Condition] = []
        func addresses(_ flag: String, _ list: [String]) -> Condition {
            list.count <= Self.inlineLimit ? .inline(list.map { "\(flag) \($0)" }) : .addresses(flag: flag, list)
        }
        if let pods = match.localPods { conditions.append(addresses(local, pods)) }
        switch match.peer {
        case .any: break
        case .addresses(let list): conditions.append(addresses(remote, list))
        case .block(let cidr, let except):
            conditions.append(except.isEmpty ? .inline(["\(remote) \(cidr)"]) : .block(flag: remote, cidr: cidr, except: except))
        }
        var ports = match.ports.map { port -> String in
            let proto = port.proto.lowercased()
            guard let range = port.ports else { return "-p \(proto)" }
            let number = range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound):\(range.upperBound)"
            return "-p \(proto) -m \(proto) --dport \(number)"
        }
        if ports.isEmpty { ports = [""] }
        conditions.append(.inline(ports))

        // The chained conditions, built from the last: each goes on to the one after it.
        var next = Self.allow
        for condition in conditions.reversed() {
            switch condition {
            case .inline: continue
            case .addresses(let flag, let list):
                let chain = Self.name(flag == "-s" ? "AS" : "AD", chains.hash(list) + ">" + next)
                if chains.byName[chain] == nil { chains.byName[chain] = list.map { "\(flag) \($0) -g \(next)" } }
                next = chain
            case .block(let flag, let cidr, let except):
                let chain = Self.name(flag == "-s" ? "BS" : "BD", cidr + "!" + except.joined(separator: ",") + ">" + next)
                chains.byName[chain] = except.map { "\(flag) \($0) -j RETURN" } + ["\(flag) \(cidr) -g \(next)"]
                next = chain
            }
        }
        var prefixes: [[String]] = [[]]
        for case .inline(let alternatives) in conditions {
            prefixes = prefixes.flatMap { prefix in alternatives.map { $0.isEmpty ? prefix : prefix + [$0] } }
        }
        // ALLOW by goto, so its return skips the rest of this policy; a condition chain by jump,
        // so a miss comes back here for the next match.
        let target = next == Self.allow ? allowed : "-j \(next)"
        return (prefixes.map { ($0 + [target]).joined(separator: " ") }, next != Self.allow)
    }

    // MARK: restore input

    /// `iptables-restore --noflush` input making the filter table's policy chains `output`'s in one
    /// transaction: chains whose rules differ from `applied` (nil: every chain) are rewritten,
    /// chains in `applied` or `existing` no longer wanted are deleted, `hookLines` (from
    /// ``hookRepairs(save:)``) put the jumps first. Empty when nothing changes.
    package static func restore(_ output: Output, applied: [String: [String]]?, existing: Set<String> = [],
                                hookLines: [String] = []) -> String {
        let changed = output.chains.filter { chain in applied.map { $0[chain.name] != chain.rules } ?? true }
        let wanted = Set(output.chains.map(\.name))
        let stale = Set(applied?.keys.map { $0 } ?? []).union(existing).subtracting(wanted)
            .filter { $0.hasPrefix(prefix) }.sorted()
        guard !changed.isEmpty || !stale.isEmpty || !hookLines.isEmpty else { return "" }
        var lines = ["*filter"]
        for chain in changed { lines.append(":\(chain.name) - [0:0]") }
        for name in stale { lines.append(":\(name) - [0:0]") }
        for chain in changed {
            for rule in chain.rules { lines.append("-A \(chain.name) \(rule)") }
        }
        lines += hookLines
        for name in stale { lines.append("-X \(name)") }
        lines.append("COMMIT")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Lines that make each hook the first rule of its built-in chain, read from `iptables-save -t
    /// filter`: nothing when it is; else every copy of it is deleted and it is inserted at the top.
    package static func hookRepairs(save: String) -> [String] {
        let lines = save.split(separator: "\n").map(String.init)
        var repairs: [String] = []
        for hook in hooks {
            let rules = lines.filter { $0.hasPrefix("-A \(hook.chain) ") }
            let target = " -j \(hook.rule.split(separator: " ").last ?? "")"
            if rules.first?.hasSuffix(target) == true && rules.dropFirst().allSatisfy({ !$0.hasSuffix(target) }) { continue }
            repairs += rules.filter { $0.hasSuffix(target) }.map { "-D" + String($0.dropFirst(2)) }
            repairs.append("-I \(hook.chain) 1 \(hook.rule)")
        }
        return repairs
    }

    /// Policy chains declared in `iptables-save -t filter` output.
    package static func chains(inSave save: String) -> Set<String> {
        var names = Set<String>()
        for line in save.split(separator: "\n") where line.hasPrefix(":" + prefix) {
            if let name = line.dropFirst().split(separator: " ").first { names.insert(String(name)) }
        }
        return names
    }

    /// Input deleting the hooks and every policy chain found in `save`, in one transaction (empty
    /// when there is nothing).
    package static func removal(save: String) -> String {
        let chains = chains(inSave: save).sorted()
        let jumps = save.split(separator: "\n").filter { line in
            guard line.hasPrefix("-A "), let chain = line.split(separator: " ").dropFirst().first else { return false }
            return !chain.hasPrefix(prefix) && line.contains(" -j \(prefix)")
        }.map { "-D" + String($0.dropFirst(2)) }
        guard !chains.isEmpty || !jumps.isEmpty else { return "" }
        return (["*filter"] + chains.map { ":\($0) - [0:0]" } + jumps + chains.map { "-X \($0)" } + ["COMMIT"])
            .joined(separator: "\n") + "\n"
    }
}
