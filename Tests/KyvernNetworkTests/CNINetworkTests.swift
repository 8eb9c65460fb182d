import Foundation
import Glibc
import KyvernRuntime
import Logging
import Subprocess
import Testing

@testable import KyvernNetwork

/// Real CNI plugins on a scratch bridge, subnet and network namespace; needs root and
/// /usr/lib/cni. Everything made is removed when the test ends, whether it passed or not.
@Suite("CNI pod network", .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge")))
struct CNINetworkTests {
    struct Scratch {
        let suffix = String(UInt32.random(in: 0x1000...0xFFFF), radix: 16)
        let third = Int.random(in: 0...255)
        var namespace: String { "kyvt-\(suffix)" }
        var namespacePath: String { "/var/run/netns/\(namespace)" }
        var bridge: String { "kyvt\(suffix)" }
        var subnet: String { "10.251.\(third).0/24" }
        var gateway: String { "10.251.\(third).1" }
        var sandboxID: String { "sandbox\(suffix)" }
        let directory = FileManager.default.temporaryDirectory.path + "/kyvern-cni-\(UUID().uuidString)"
        let hostPort = Int.random(in: 30000...32000)

        func network() -> CNINetwork {
            CNINetwork(podCIDR: subnet, bridge: bridge, networkName: "kyvt\(suffix)", configDirectory: directory + "/conf",
                       stateDirectory: directory + "/state", logger: Logger(label: "cni-tests"))
        }

        func config(ports: [PortMapping] = []) -> PodSandboxConfig {
            PodSandboxConfig(metadata: PodSandboxMetadata(name: "web", namespace: "shop", uid: "uid-\(suffix)"),
                             hostname: "web", logDirectory: directory + "/logs", portMappings: ports,
                             cgroupParent: "/kyvern/test")
        }
    }

    /// Runs `arguments` (PATH lookup), returning exit code and combined output.
    @discardableResult
    static func run(_ arguments: [String]) async throws -> (Int32, String) {
        let result = try await Subprocess.run(.name(arguments[0]), arguments: Arguments(Array(arguments.dropFirst())),
                                              environment: .inherit.updating(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]),
                                              output: .string(limit: 1 << 20), error: .combinedWithOutput)
        let code: Int32 = if case .exited(let status) = result.terminationStatus { status } else { -1 }
        return (code, result.standardOutput)
    }

    func withScratch(_ body: (Scratch) async throws -> Void) async throws {
        let scratch = Scratch()
        var failure: (any Error)?
        do {
            let (code, output) = try await Self.run(["ip", "netns", "add", scratch.namespace])
            #expect(code == 0, "ip netns add: \(output)")
            try await body(scratch)
        } catch {
            failure = error
        }
        try? await scratch.network().tearDown(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath,
                                              config: scratch.config())
        try? await IptablesCleanup.removeRules(containerID: scratch.sandboxID)
        _ = try? await IptablesCleanup.iptables(["-t", "nat", "-D", "POSTROUTING"] + scratch.network().masquerade.ruleSpecification)
        _ = try? await Self.run(["ip", "netns", "del", scratch.namespace])
        _ = try? await Self.run(["ip", "link", "del", scratch.bridge])
        try? FileManager.default.removeItem(atPath: scratch.directory)
        if let failure { throw failure }
    }

    /// Starts `busybox nc -l` inside the namespace, answering one connection with `reply`.
    static func listen(in namespace: String, port: Int, reply: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace, "busybox", "sh", "-c", "echo \(reply) | busybox nc -l -p \(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Connects (retrying while the listener starts) and returns what the listener sent.
    static func connect(_ host: String, _ port: Int) async throws -> String {
        for _ in 0..<30 {
            let (code, output) = try await run(["busybox", "nc", "-w", "2", host, String(port)])
            if code == 0, !output.isEmpty { return output.trimmingCharacters(in: .whitespacesAndNewlines) }
            try await Task.sleep(for: .milliseconds(100))
        }
        return ""
    }

    @Test("pods leaving the node are masqueraded by one node-wide rule, added once")
    func oneMasqueradeRuleForThePodRange() async throws {
        try await withScratch { scratch in
            let masquerade = PodMasquerade(podCIDR: scratch.subnet, recheckInterval: 0)
            try await masquerade.ensure()
            try await masquerade.ensure()
            let rules = try await IptablesCleanup.iptables(["-t", "nat", "-S", "POSTROUTING"]).split(separator: "\n")
                .filter { $0.contains(scratch.subnet) && $0.contains("MASQUERADE") }
            #expect(rules.count == 1, "\(rules)")
            _ = try await scratch.network().setUp(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath,
                                                  config: scratch.config())
            // the bridge plugin adds no per-pod masquerade chain of its own any more
            #expect(try await IptablesCleanup.rulesMentioning(scratch.sandboxID).filter { $0.contains("MASQUERADE") }.isEmpty)
        }
    }

    @Test func trafficToTheRestOfTheClusterRangeKeepsItsPodAddress() {
        #expect(PodMasquerade.exempt(podCIDR: "10.42.1.0/24", clusterCIDR: "10.42.0.0/16") == "10.42.0.0/16")
        #expect(PodMasquerade.exempt(podCIDR: "10.89.0.0/16", clusterCIDR: "10.42.0.0/16") == "10.89.0.0/16")
        #expect(PodMasquerade.exempt(podCIDR: "10.42.1.0/24", clusterCIDR: nil) == "10.42.1.0/24")
        #expect(PodMasquerade.ruleSpecification("10.42.1.0/24", exempt: "10.42.0.0/16").prefix(5)
                    == ["-s", "10.42.1.0/24", "!", "-d", "10.42.0.0/16"])
    }

    @Test func setUpGivesAReachableAddressAndTearDownReleasesIt() async throws {
        try await withScratch { scratch in
            let network = scratch.network()
            let config = scratch.config(ports: [PortMapping(containerPort: 8080, hostPort: scratch.hostPort)])
            let ips = try await network.setUp(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath, config: config)
            try #require(ips.count == 1)
            let ip = ips[0]
            #expect(ip.hasPrefix("10.251.\(scratch.third)."))
            #expect(FileManager.default.fileExists(atPath: network.leaseDirectory + "/" + ip))
            #expect(FileManager.default.fileExists(atPath: scratch.directory + "/conf/10-\(network.networkName).conflist"))
            let (_, inside) = try await Self.run(["ip", "netns", "exec", scratch.namespace, "ip", "-4", "addr", "show"])
            #expect(inside.contains("inet 127.0.0.1/8"))
            #expect(inside.contains("eth0") && inside.contains("inet \(ip)/24"))

            let (ping, pingOutput) = try await Self.run(["busybox", "ping", "-c", "1", "-W", "2", ip])
            #expect(ping == 0, "ping \(ip): \(pingOutput)")

            // TCP straight to the pod, and to the hostPort through portmap's DNAT.
            let direct = try Self.listen(in: scratch.namespace, port: 9090, reply: "direct")
            defer { if direct.isRunning { direct.terminate() } }
            #expect(try await Self.connect(ip, 9090) == "direct")
            let mapped = try Self.listen(in: scratch.namespace, port: 8080, reply: "mapped")
            defer { if mapped.isRunning { mapped.terminate() } }
            #expect(try await Self.connect(scratch.gateway, scratch.hostPort) == "mapped")

            try await network.check(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath, config: config)
            #expect(try await IptablesCleanup.rulesMentioning(scratch.sandboxID).isEmpty == false)

            try await network.tearDown(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath, config: config)
            #expect(!FileManager.default.fileExists(atPath: network.leaseDirectory + "/" + ip))
            #expect(try await IptablesCleanup.rulesMentioning(scratch.sandboxID) == [])
            #expect(!FileManager.default.fileExists(atPath: network.cachePath(scratch.sandboxID)))
            let (_, after) = try await Self.run(["ip", "netns", "exec", scratch.namespace, "ip", "link", "show"])
            #expect(!after.contains("eth0"))

            // Already torn down, and a namespace already gone: both succeed.
            try await network.tearDown(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath, config: config)
            try await network.tearDown(sandboxID: scratch.sandboxID, networkNamespacePath: "/var/run/netns/none", config: config)
        }
    }

    @Test func tearDownWithoutPortMappingsStillRemovesThePodsChains() async throws {
        try await withScratch { scratch in
            let network = scratch.network()
            let config = scratch.config(ports: [PortMapping(containerPort: 8080, hostPort: scratch.hostPort)])
            _ = try await network.setUp(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath, config: config)
            let rules = try await IptablesCleanup.rulesMentioning(scratch.sandboxID)
            let chains = Set(rules.flatMap { IptablesCleanup.split($0) }.filter { $0.hasPrefix("CNI-DN-") })
            try #require(!chains.isEmpty)
            // An agent that lost the pod's spec tears down without the port mappings.
            try await network.tearDown(sandboxID: scratch.sandboxID, networkNamespacePath: scratch.namespacePath,
                                       config: scratch.config())
            #expect(try await IptablesCleanup.rulesMentioning(scratch.sandboxID) == [])
            let nat = try await IptablesCleanup.iptables(["-t", "nat", "-S"])
            for chain in chains { #expect(!nat.contains(chain)) }
        }
    }

    @Test func aFailingPluginLeavesNoLease() async throws {
        try await withScratch { scratch in
            let network = scratch.network()
            await #expect(throws: CNIError.self) {
                _ = try await network.setUp(sandboxID: scratch.sandboxID, networkNamespacePath: "/var/run/netns/absent-\(scratch.suffix)",
                                            config: scratch.config())
            }
            let leases = (try? FileManager.default.contentsOfDirectory(atPath: network.leaseDirectory)) ?? []
            #expect(leases.filter { $0.hasPrefix("10.") } == [])
        }
    }
}
