import Foundation
import Glibc
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing

@testable import KyvernNetwork

/// The controller against a fake API and the real kernel, in a network namespace of its own:
/// a policy isolates the node's pod within a second of being created, the pod is released
/// within a second of its deletion, and the table is gone once the controller stops. Needs root
/// and nft; removes its namespace even when it fails.
@Suite("NetworkPolicy controller in the kernel", .serialized, .timeLimit(.minutes(1)),
       .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")))
struct PolicyControllerKernelTests {
    static func pod(_ name: String, ip: String, app: String, node: String = "node-a") -> JSONValue {
        ProxyFixtures.json("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\(name)","namespace":"shop","labels":{"app":"\(app)"}},
             "spec":{"nodeName":"\(node)","containers":[{"name":"c","image":"x"}]},
             "status":{"phase":"Running","podIP":"\(ip)"}}
            """)
    }

    static let policy = ProxyFixtures.json("""
        {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"db","namespace":"shop"},
         "spec":{"podSelector":{"matchLabels":{"app":"db"}},
                 "ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"api"}}}],"ports":[{"port":5432}]}]}}
        """)

    /// The table's text in `namespace`, "" when there is none.
    static func table(_ namespace: String) async -> String {
        (try? await ProxyCommand.run("ip", ["netns", "exec", namespace, "nft", "list", "table", "inet", "kyvern-policy"])) ?? ""
    }

    static func waitFor(_ namespace: String, limit: Duration, _ condition: (String) -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if condition(await table(namespace)) { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test func policiesReachTheKernelWithinASecondAndTheTableGoesWithTheController() async throws {
        let namespace = "kynp-\(String(UInt32.random(in: 0x1000...0xFFFF), radix: 16))"
        try await ProxyCommand.run("ip", ["netns", "add", namespace])
        defer { _ = try? ProxyCommand.runUncancellable("ip", ["netns", "delete", namespace]) }

        let client = FakeClient()
        _ = try client.seed(.namespaces, ProxyFixtures.json(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#))
        _ = try client.seed(.pods, Self.pod("db", ip: "10.77.0.3", app: "db"), Self.pod("api", ip: "10.77.0.2", app: "api"),
                            Self.pod("db-elsewhere", ip: "10.77.1.3", app: "db", node: "node-b"))
        var logger = Logger(label: "netpol-test")
        logger.logLevel = .warning
        let controller = NetworkPolicyController(client: client, nodeName: "node-a", logger: logger, networkNamespace: namespace)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await controller.run() }
            let empty = try await Self.waitFor(namespace, limit: .seconds(10)) { $0.contains("ingress-forward") }
            #expect(empty != nil)

            _ = try await client.create(.networkPolicies, namespace: "shop", Self.policy, options: WriteOptions())
            let isolated = try await Self.waitFor(namespace, limit: .seconds(5)) { $0.contains("10.77.0.3 : jump ingress-") }
            #expect(isolated != nil && isolated! < .seconds(1), "\(String(describing: isolated))")
            let text = await Self.table(namespace)
            #expect(text.contains("ip saddr 10.77.0.2 tcp dport 5432 accept"), "\(text)")
            #expect(!text.contains("10.77.1.3"), "a pod of another node is not programmed here")

            _ = try await client.delete(.networkPolicies, namespace: "shop", name: "db", options: DeleteOptions())
            let released = try await Self.waitFor(namespace, limit: .seconds(5)) { !$0.contains("10.77.0.3") && $0.contains("ingress-forward") }
            #expect(released != nil && released! < .seconds(1), "\(String(describing: released))")

            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(await Self.table(namespace) == "")
    }

    /// The same controller with the proxy in iptables mode: chains instead of the nft table.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables-restore")))
    func inIptablesModePoliciesBecomeChainsAndNoNftTableIsMade() async throws {
        let namespace = "kynp-\(String(UInt32.random(in: 0x1000...0xFFFF), radix: 16))"
        try await ProxyCommand.run("ip", ["netns", "add", namespace])
        defer { _ = try? ProxyCommand.runUncancellable("ip", ["netns", "delete", namespace]) }
        func save() async -> String {
            (try? await ProxyCommand.run("ip", ["netns", "exec", namespace, "iptables-save", "-t", "filter"])) ?? ""
        }
        func waitFor(limit: Duration, _ condition: (String) -> Bool) async throws -> Duration? {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < limit {
                if condition(await save()) { return ContinuousClock.now - start }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
        // A table an earlier nftables-mode run left behind is removed.
        try await NftFile.load("table inet kyvern-policy { }\n", prefix: "kyvern-policy", namespace: namespace)

        let client = FakeClient()
        _ = try client.seed(.namespaces, ProxyFixtures.json(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#))
        _ = try client.seed(.pods, Self.pod("db", ip: "10.77.0.3", app: "db"), Self.pod("api", ip: "10.77.0.2", app: "api"))
        var logger = Logger(label: "netpol-test")
        logger.logLevel = .warning
        let controller = NetworkPolicyController(client: client, nodeName: "node-a", logger: logger, mode: .iptables,
                                                 networkNamespace: namespace)
        let dispatch = "-A KYVERN-NETPOL-INGRESS -d 10.77.0.3/32 -g KYVERN-NETPOL-OI"
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await controller.run() }
            #expect(try await waitFor(limit: .seconds(10)) { $0.contains(":KYVERN-NETPOL-FORWARD") } != nil)
            #expect(await Self.table(namespace) == "")

            _ = try await client.create(.networkPolicies, namespace: "shop", Self.policy, options: WriteOptions())
            let isolated = try await waitFor(limit: .seconds(5)) { $0.contains(dispatch) }
            #expect(isolated != nil && isolated! < .seconds(1), "\(String(describing: isolated))")
            #expect(await save().contains("-s 10.77.0.2/32 -p tcp -m tcp --dport 5432 -j RETURN"))

            _ = try await client.delete(.networkPolicies, namespace: "shop", name: "db", options: DeleteOptions())
            let released = try await waitFor(limit: .seconds(5)) { !$0.contains("10.77.0.3") && $0.contains(":KYVERN-NETPOL-FORWARD") }
            #expect(released != nil && released! < .seconds(1), "\(String(describing: released))")

            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(!(await save()).contains("KYVERN-NETPOL"))
    }
}
