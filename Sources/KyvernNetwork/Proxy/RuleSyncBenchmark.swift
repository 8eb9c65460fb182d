import Foundation

/// Measures rule generation and loading (`iptables-restore` or `nft -f`, by mode) for a synthetic cluster (the `bench/network`
/// benchmark's rule part): a cold full sync, a full resync over existing chains, and a
/// one-endpoint change as a partial sync. Writes to the current network namespace's tables and
/// removes everything afterwards.
package enum RuleSyncBenchmark {
    package struct Result: Sendable, Codable {
        package var services: Int
        package var endpointsPerService: Int
        package var rules: Int
        package var chains: Int
        package var generateSeconds: Double
        package var coldFullSyncSeconds: Double
        package var fullResyncSeconds: Double
        package var oneEndpointChangeSeconds: Double
        package var oneEndpointChainsWritten: Int
        package var removeSeconds: Double
        package var backend: String
        package var mode: String
    }

    /// `10.<second>.x.y` for the `index`-th address of a range.
    static func address(_ second: Int, _ index: Int) -> String {
        "10.\(second).\(index / 250 % 250).\(index % 250 + 1)"
    }

    package static func entries(services: Int, endpointsPerService: Int, changed: Bool = false) -> [RuleBuilder.Entry] {
        (0..<services).map { index in
            let port = ServicePortSpec(name: ServicePortName(namespace: "bench", name: "svc-\(index)", port: "http"),
                                       proto: .tcp, clusterIPs: [address(43, index)], port: 80,
                                       nodePort: index < 100 ? 30000 + index : nil)
            var endpoints = (0..<endpointsPerService).map {
                ProxyEndpoint(ip: address(42, index * endpointsPerService + $0), port: 8080, nodeName: "bench-node")
            }
            if changed && index == services / 2 { endpoints[0].ip = "10.41.0.1" }
            return RuleBuilder.Entry(port: port, endpoints: endpoints)
        }
    }

    static let node = RuleBuilder.Node(name: "bench-node", addresses: ["192.168.77.1"], clusterCIDR: "10.42.0.0/16")

    /// The full-sync input (`iptables-restore` or `nft -f`) for the synthetic cluster, to inspect
    /// or replay by hand.
    package static func restoreText(services: Int, endpointsPerService: Int, mode: ProxyMode = .iptables) -> String {
        let input = entries(services: services, endpointsPerService: endpointsPerService)
        switch mode {
        case .iptables: return RestorePlan(desired: RuleBuilder(node: node).build(input), applied: nil).text
        case .nftables: return NftPlan(desired: NftRuleBuilder(node: node).build(input), applied: nil).text
        }
    }

    package static func run(services: Int, endpointsPerService: Int, mode: ProxyMode = .iptables) async throws -> Result {
        let backend = mode.backend()
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        let input = entries(services: services, endpointsPerService: endpointsPerService)
        // Generation alone, as the proxy does it before loading.
        var rules = 0
        var chains = 0
        let generate = clock.measure {
            switch mode {
            case .iptables:
                let set = RuleBuilder(node: node).build(input)
                (rules, chains) = (set.ruleCount, set.chainCount)
            case .nftables:
                let set = NftRuleBuilder(node: node).build(input)
                (rules, chains) = (set.ruleCount, set.chains.count + set.skeleton.filter { $0.hasPrefix("chain ") }.count)
            }
        }
        // Each sync below generates and loads, as a proxy sync does.
        let cold = try await clock.measure { _ = try await backend.apply(input, node: node, full: true) }
        let full = try await clock.measure { _ = try await backend.apply(input, node: node, full: true) }
        let changedInput = entries(services: services, endpointsPerService: endpointsPerService, changed: true)
        var written = 0
        let partial = try await clock.measure {
            written = try await backend.apply(changedInput, node: node, full: false).chainsWritten
        }
        let remove = try await clock.measure { try await backend.removeAll() }
        return Result(services: services, endpointsPerService: endpointsPerService, rules: rules,
                      chains: chains, generateSeconds: seconds(generate), coldFullSyncSeconds: seconds(cold),
                      fullResyncSeconds: seconds(full), oneEndpointChangeSeconds: seconds(partial),
                      oneEndpointChainsWritten: written, removeSeconds: seconds(remove),
                      backend: await backend.describe(), mode: mode.rawValue)
    }
}
