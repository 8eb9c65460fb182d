import Foundation
import Glibc
import Testing

@testable import KyvernNetwork

/// The iptables form against the real `iptables-restore` (nf_tables) in a network namespace of
/// its own: the benchmark cluster's chains load in one transaction with the hooks first, a
/// change rewrites only what changed, and removal leaves nothing. Needs root and iptables;
/// removes its namespace even when it fails.
@Suite("NetworkPolicy iptables chains in the kernel", .serialized, .timeLimit(.minutes(1)),
       .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables-restore")))
struct IptablesPolicyKernelTests {
    static func save(_ namespace: String) async throws -> String {
        try await ProxyCommand.run("ip", ["netns", "exec", namespace, "iptables-save", "-t", "filter"])
    }

    @Test func theBenchmarkClusterLoadsChangesAndGoes() async throws {
        let namespace = "kynpi-\(String(UInt32.random(in: 0x1000...0xFFFF), radix: 16))"
        try await ProxyCommand.run("ip", ["netns", "add", namespace])
        defer { _ = try? ProxyCommand.runUncancellable("ip", ["netns", "delete", namespace]) }
        // Something of the proxy's already first in FORWARD: the policy hook must go above it.
        try await ProxyCommand.run("ip", ["netns", "exec", namespace, "iptables", "-w", "-A", "FORWARD", "-j", "ACCEPT"])

        let input = PolicySyncBenchmark.cluster(policies: 40, pods: 400)
        let compiler = PolicyCompiler(nodeName: "bench-node")
        let set = compiler.compile(policies: input.policies, pods: input.pods, namespaces: input.namespaces)
        let backend = IptablesPolicyBackend(namespace: namespace)
        let loaded = try await backend.load(set, force: false)
        #expect((loaded?.isolatedPods ?? 0) > 0)
        var save = try await Self.save(namespace)
        let forward = save.split(separator: "\n").filter { $0.hasPrefix("-A FORWARD ") }
        #expect(forward.first?.hasSuffix("-j KYVERN-NETPOL-FORWARD") == true, "\(forward)")
        #expect(forward.count == 2)
        let output = IptablesPolicyBuilder().build(set)
        #expect(IptablesPolicyBuilder.chains(inSave: save) == Set(output.chains.map(\.name)))
        let rules = save.split(separator: "\n").filter { $0.hasPrefix("-A KYVERN-NETPOL-") }.count
        #expect(rules == output.rules)

        #expect(try await backend.load(set, force: false) == nil, "unchanged: nothing loaded")
        let changed = PolicySyncBenchmark.cluster(policies: 40, pods: 400, changed: true)
        let next = compiler.compile(policies: changed.policies, pods: changed.pods, namespaces: changed.namespaces)
        #expect(try await backend.load(next, force: false) != nil)
        save = try await Self.save(namespace)
        #expect(IptablesPolicyBuilder.chains(inSave: save) == Set(IptablesPolicyBuilder().build(next).chains.map(\.name)))
        // A forced load repairs the hooks without duplicating them.
        _ = try await backend.load(next, force: true)
        save = try await Self.save(namespace)
        #expect(save.split(separator: "\n").filter { $0.hasSuffix("-j KYVERN-NETPOL-FORWARD") && $0.hasPrefix("-A FORWARD") }.count == 1)

        try await backend.removeAll()
        save = try await Self.save(namespace)
        #expect(!save.contains("KYVERN-NETPOL"), "\(save)")
        #expect(save.contains("-A FORWARD -j ACCEPT"), "other rules stay")
    }
}
