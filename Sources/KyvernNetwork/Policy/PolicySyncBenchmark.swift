import Foundation
import KyvernAPI

/// Measures a full policy sync for a synthetic cluster (the `kyvern netpol-bench` hook): compile
/// the policies, write the rules (nft text or iptables chains) and load them, cold and again
/// after one policy changed; then remove them. Every pod is on the measured node, the worst case. Programs the current
/// network namespace.
package enum PolicySyncBenchmark {
    package struct Result: Sendable, Codable {
        package var mode: String
        package var policies: Int
        package var pods: Int
        package var namespaces: Int
        package var isolatedPods: Int
        package var rules: Int
        /// Named sets (nftables) or chains (iptables).
        package var sets: Int
        package var textBytes: Int
        package var compileSeconds: Double
        package var buildSeconds: Double
        package var coldLoadSeconds: Double
        package var coldSyncSeconds: Double
        package var changedSyncSeconds: Double
        package var removeSeconds: Double
    }

    static let nodeName = "bench-node"

    /// `pods` pods over `pods / 100` namespaces (label `team`), each labelled with one of 20
    /// apps, a role and a named port `http` (8080 or 8081, differing among one policy's pods, so
    /// the port resolves per pod); `policies` policies spread over the namespaces, each
    /// selecting one app: ingress from the namespace's clients on 8080 and by the named port,
    /// from a team's namespaces, and every fourth also egress to its namespace plus DNS and a
    /// block with an exception.
    package static func cluster(policies: Int, pods: Int, changed: Bool = false)
        -> (policies: [NetworkPolicyModel], pods: [PolicyPod], namespaces: [PolicyNamespace]) {
        let namespaceCount = max(1, pods / 100)
        let namespaces = (0..<namespaceCount).map { PolicyNamespace(name: "ns-\($0)", labels: ["team": "team-\($0 % 5)"]) }
        let podList = (0..<pods).map { index in
            PolicyPod(namespace: "ns-\(index % namespaceCount)", name: "pod-\(index)",
                      labels: ["app": "app-\(index / namespaceCount % 20)", "role": index % 3 == 0 ? "client" : "server"],
                      ip: "10.\(40 + index / 62500).\(index / 250 % 250).\(index % 250 + 1)", nodeName: nodeName,
                      namedPorts: ["http/TCP": 8080 + index / 1000 % 2])
        }
        let policyList = (0..<policies).map { index in
            let app = changed && index == policies / 2 ? "app-changed" : "app-\(index / namespaceCount % 20)"
            var ingress: [NetworkPolicyModel.Rule] = [
                .init(peers: [.pods(pods: .init(matchLabels: ["role": "client"]), namespaces: nil)],
                      ports: [.init(number: .range(8080, 8080)), .init(number: .named("http"))]),
                .init(peers: [.pods(pods: .everything, namespaces: .init(matchLabels: ["team": "team-\(index % 5)"]))],
                      ports: [.init(number: .range(9000, 9100))]),
            ]
            if index % 10 == 0 { ingress.append(.init(peers: [.block(cidr: "192.168.0.0/16", except: ["192.168.1.0/24"])])) }
            let egress: [NetworkPolicyModel.Rule]? = index % 4 == 0 ? [
                .init(peers: [.pods(pods: .everything, namespaces: nil)]),
                .init(ports: [.init(proto: "UDP", number: .range(53, 53)), .init(proto: "TCP", number: .range(53, 53))]),
                .init(peers: [.block(cidr: "172.16.0.0/12", except: ["172.16.5.0/24"])], ports: [.init(number: .range(443, 443))]),
            ] : nil
            return NetworkPolicyModel(namespace: "ns-\(index % namespaceCount)", name: "policy-\(index)",
                                      podSelector: .init(matchLabels: ["app": app]), ingress: ingress, egress: egress)
        }
        return (policyList, podList, namespaces)
    }

    package static func run(policies: Int, pods: Int, mode: ProxyMode = .nftables) async throws -> Result {
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        let input = cluster(policies: policies, pods: pods)
        let compiler = PolicyCompiler(nodeName: nodeName)
        var set = PolicyRuleSet()
        let compile = clock.measure { set = compiler.compile(policies: input.policies, pods: input.pods, namespaces: input.namespaces) }
        let changedInput = cluster(policies: policies, pods: pods, changed: true)
        let build: Duration
        let load: Duration
        let changed: Duration
        let remove: Duration
        let size: (isolatedPods: Int, rules: Int, sets: Int, textBytes: Int)
        switch mode {
        case .nftables:
            var output = NftPolicyBuilder().build(PolicyRuleSet())
            build = clock.measure { output = NftPolicyBuilder().build(set) }
            let backend = NftPolicyBackend()
            load = try await clock.measure { try await backend.apply(output.text) }
            changed = try await clock.measure {
                let set = compiler.compile(policies: changedInput.policies, pods: changedInput.pods, namespaces: changedInput.namespaces)
                try await backend.apply(NftPolicyBuilder().build(set).text)
            }
            remove = try await clock.measure { try await backend.removeAll() }
            size = (output.isolatedPods, output.rules, output.sets, output.text.utf8.count)
        case .iptables:
            // The backend builds the chains itself; the text is measured apart for the report.
            var output = IptablesPolicyBuilder().build(PolicyRuleSet())
            build = clock.measure { output = IptablesPolicyBuilder().build(set) }
            let backend = IptablesPolicyBackend()
            load = try await clock.measure { _ = try await backend.load(set, force: false) } - build
            changed = try await clock.measure {
                let set = compiler.compile(policies: changedInput.policies, pods: changedInput.pods, namespaces: changedInput.namespaces)
                _ = try await backend.load(set, force: false)
            }
            remove = try await clock.measure { try await backend.removeAll() }
            let text = IptablesPolicyBuilder.restore(output, applied: nil)
            size = (output.isolatedPods, output.rules, output.chains.count, text.utf8.count)
        }
        return Result(mode: mode.rawValue, policies: policies, pods: pods, namespaces: input.namespaces.count, isolatedPods: size.isolatedPods,
                      rules: size.rules, sets: size.sets, textBytes: size.textBytes,
                      compileSeconds: seconds(compile), buildSeconds: seconds(build), coldLoadSeconds: seconds(load),
                      coldSyncSeconds: seconds(compile + build + load), changedSyncSeconds: seconds(changed),
                      removeSeconds: seconds(remove))
    }
}
