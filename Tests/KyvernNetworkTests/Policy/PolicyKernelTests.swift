import Foundation
import Glibc
import Testing

@testable import KyvernNetwork

/// The generated text against the real nft parser and kernel, checked with `nft -c` (nothing is
/// committed, so no other suite's rules are touched). Needs root and nft.
@Suite("NetworkPolicy text in the kernel",
       .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")))
struct PolicyKernelTests {
    @Test func theBenchmarkClustersTextIsAcceptedByNft() async throws {
        let input = PolicySyncBenchmark.cluster(policies: 40, pods: 400)
        let set = PolicyCompiler(nodeName: "bench-node").compile(policies: input.policies, pods: input.pods,
                                                                 namespaces: input.namespaces)
        let output = NftPolicyBuilder().build(set)
        #expect(output.isolatedPods > 0)
        let path = FileManager.default.temporaryDirectory.path + "/kyvern-policy-check-\(UUID().uuidString).nft"
        try output.text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await ProxyCommand.run("nft", ["-c", "-f", path])
    }
}
