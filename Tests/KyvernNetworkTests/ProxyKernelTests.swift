import Foundation
import Glibc
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Subprocess
import Testing

@testable import KyvernNetwork

/// The proxy's rules in the real kernel: a bridge and three network namespaces as "pods", each
/// running busybox httpd that answers its own name, behind a ClusterIP and a NodePort Service.
/// The "node" is a network namespace of its own, so these rules never meet another suite's
/// (the CNI suite programs iptables at the same time). Needs root and iptables; removes its
/// namespaces, links, routes and rules even when it fails. Every test runs against both
/// backends (`--proxy-mode iptables` and `nftables`).
@Suite("Proxy in the kernel", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables-restore")
                && FileManager.default.isExecutableFile(atPath: "/bin/busybox")))
struct ProxyKernelTests {
    struct Scratch {
        let suffix = String(UInt32.random(in: 0x1000...0xFFFF), radix: 16)
        let third = Int.random(in: 1...250)
        var bridge: String { "kyvp\(suffix)" }
        var gateway: String { "10.250.\(third).1" }
        var cidr: String { "10.250.\(third).0/24" }
        var serviceIP: String { "10.43.\(third).10" }
        func namespace(_ index: Int) -> String { "kyvp-\(suffix)-\(index)" }
        /// The node's namespace, holding the bridge and the proxy's rules.
        var host: String { "kyvp-\(suffix)-node" }
        func backend(_ mode: ProxyMode) -> any ProxyBackend { mode.backend(namespace: host) }
        func podIP(_ index: Int) -> String { "10.250.\(third).\(10 + index)" }
        var node: RuleBuilder.Node { RuleBuilder.Node(name: "node-a", addresses: [gateway], clusterCIDR: cidr) }
        /// A load balancer address: on no interface, routed to the node like the cluster IPs.
        var loadBalancerIP: String { "10.43.\(third).200" }
        /// A client outside the cluster, one hop from the node (made only by the tests that need it).
        var outside: String { "kyvp-\(suffix)-out" }
        var outsideIP: String { "10.251.\(third).2" }

        func setUpOutside() async throws {
            let link = "vko\(suffix)"
            try await sh(["ip", "netns", "add", outside])
            try await sh(["ip", "-n", outside, "link", "set", "lo", "up"])
            try await sh(["ip", "-n", host, "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", outside])
            try await sh(["ip", "-n", host, "addr", "add", "10.251.\(third).1/24", "dev", link])
            try await sh(["ip", "-n", host, "link", "set", link, "up"])
            try await sh(["ip", "-n", outside, "addr", "add", "\(outsideIP)/24", "dev", "eth0"])
            try await sh(["ip", "-n", outside, "link", "set", "eth0", "up"])
            try await sh(["ip", "-n", outside, "route", "add", "default", "via", "10.251.\(third).1"])
        }
        let directory = "/tmp/kyvern-proxy-\(UUID().uuidString)"

        func setUp() async throws {
            try await sh(["ip", "netns", "add", host])
            try await sh(["ip", "-n", host, "link", "set", "lo", "up"])
            try await sh(["ip", "-n", host, "link", "add", bridge, "type", "bridge"])
            try await sh(["ip", "-n", host, "addr", "add", "\(gateway)/24", "dev", bridge])
            try await sh(["ip", "-n", host, "link", "set", bridge, "up"])
            try await sh(["ip", "-n", host, "route", "add", "10.43.\(third).0/24", "dev", bridge])
            try await sh(["ip", "netns", "exec", host, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
            for index in 1...3 {
                let ns = namespace(index)
                let host = "vkp\(suffix)\(index)"
                try await sh(["ip", "netns", "add", ns])
                try await sh(["ip", "-n", self.host, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns])
                try await sh(["ip", "-n", self.host, "link", "set", host, "master", bridge, "up"])
                // As the CNI bridge plugin's hairpinMode: with bridge-nf-call-iptables a pod's
                // packet DNATed back to itself leaves through the port it came in by.
                try await sh(["ip", "-n", self.host, "link", "set", host, "type", "bridge_slave", "hairpin", "on"])
                try await sh(["ip", "-n", ns, "addr", "add", "\(podIP(index))/24", "dev", "eth0"])
                try await sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
                try await sh(["ip", "-n", ns, "link", "set", "lo", "up"])
                try await sh(["ip", "-n", ns, "route", "add", "default", "via", gateway])
                let root = "\(directory)/pod\(index)"
                try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
                try "pod\(index)".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
                // /cgi-bin/ip answers the client address the pod sees (externalTrafficPolicy checks).
                try FileManager.default.createDirectory(atPath: root + "/cgi-bin", withIntermediateDirectories: true)
                try "#!/bin/busybox sh\necho 'Content-Type: text/plain'\necho\necho $REMOTE_ADDR\n"
                    .write(toFile: root + "/cgi-bin/ip", atomically: true, encoding: .utf8)
                try await sh(["chmod", "755", root + "/cgi-bin/ip"])
                // Without -f httpd daemonizes (its pid is found through the namespace at cleanup);
                // its stdio must not be our pipes, or reading them never ends.
                try await sh(["sh", "-c", "ip netns exec \(ns) busybox httpd -p 8080 -h \(root) </dev/null >/dev/null 2>&1"])
            }
        }

        func tearDown() async {
            for mode in ProxyMode.allCases { _ = try? await backend(mode).removeAll() }
            for index in 1...3 {
                let pids = (try? await sh(["ip", "netns", "pids", namespace(index)]))?.split(separator: "\n") ?? []
                for pid in pids { if let number = Int32(pid) { kill(number, SIGKILL) } }
                _ = try? await sh(["ip", "netns", "del", namespace(index)])
            }
            _ = try? await sh(["ip", "netns", "del", outside])
            _ = try? await sh(["ip", "netns", "del", host])
            try? FileManager.default.removeItem(atPath: directory)
        }

        func ports(affinity: Int? = nil) -> (ServicePortSpec, [ProxyEndpoint]) {
            let port = ServicePortSpec(name: ServicePortName(namespace: "default", name: "web", port: "http"), proto: .tcp,
                                       clusterIPs: [serviceIP], port: 80, nodePort: 30080, affinityTimeout: affinity)
            return (port, (1...3).map { ProxyEndpoint(ip: podIP($0), port: 8080, nodeName: "node-a") })
        }
    }

    @discardableResult
    static func sh(_ arguments: [String]) async throws -> String {
        try await ProxyCommand.run(arguments[0], Array(arguments.dropFirst()))
    }

    /// One HTTP GET with busybox wget (a new connection each time): the body, or the error text.
    static func get(_ url: String, from namespace: String) async throws -> (ok: Bool, text: String) {
        // busybox wget's own -T crashes; coreutils timeout bounds a request that would hang.
        let prefix = ["ip", "netns", "exec", namespace]
        let arguments = ["5"] + prefix + ["busybox", "wget", "-q", "-O", "-", url]
        let result = try await Subprocess.run(.name("timeout"), arguments: Arguments(arguments),
                                              environment: .inherit.updating(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]),
                                              output: .string(limit: 1 << 16), error: .string(limit: 1 << 16))
        return (result.terminationStatus.isSuccess,
                ((result.standardOutput ?? "") + (result.standardError ?? "")).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func counts(_ url: String, requests: Int, from namespace: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for _ in 0..<requests {
            let (ok, text) = try await get(url, from: namespace)
            counts[ok ? text : "error: \(text)", default: 0] += 1
        }
        return counts
    }

    static func withScratch(_ body: (Scratch) async throws -> Void) async throws {
        let scratch = Scratch()
        do {
            try await scratch.setUp()
            try await body(scratch)
        } catch {
            await scratch.tearDown()
            throw error
        }
        await scratch.tearDown()
    }

    /// The proxy's rules as the kernel lists them: iptables' KYVERN lines, or the `ip kyvern`
    /// table (none when it does not exist).
    static func kyvernLines(_ scratch: Scratch, _ mode: ProxyMode) async throws -> [String] {
        switch mode {
        case .iptables:
            return try await sh(["ip", "netns", "exec", scratch.host, "iptables-save"]).split(separator: "\n").map(String.init)
                .filter { $0.contains("KYVERN") }
        case .nftables:
            let tables = try await sh(["ip", "netns", "exec", scratch.host, "nft", "list", "tables"])
            guard tables.contains("table ip kyvern") else { return [] }
            return try await sh(["ip", "netns", "exec", scratch.host, "nft", "list", "table", "ip", "kyvern"])
                .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    /// Whether `lines` DNAT to `ip:port` (a DNAT target, or an element of a numgen map).
    static func dnats(_ lines: [String], to ip: String, port: Int = 8080, _ mode: ProxyMode) -> Bool {
        switch mode {
        case .iptables: lines.contains { $0.contains("--to-destination \(ip):\(port)") }
        case .nftables: lines.contains { $0.contains("\(ip) . \(port)") || $0.contains("dnat ip to \(ip):\(port)") }
        }
    }

    /// Whether `lines` reject some port for having no endpoints.
    static func rejects(_ lines: [String], _ mode: ProxyMode) -> Bool {
        switch mode {
        case .iptables: lines.contains { $0.contains("has no endpoints") }
        case .nftables: lines.contains { $0.contains(": goto reject-chain") }
        }
    }

    @Test(arguments: ProxyMode.allCases)
    func clusterIPAndNodePortSpreadOverEveryPodAndHairpinWorks(mode: ProxyMode) async throws {
        try await Self.withScratch { scratch in
            let backend = scratch.backend(mode)
            let (port, endpoints) = scratch.ports()
            let outcome = try await backend.apply([.init(port: port, endpoints: endpoints)], node: scratch.node, full: true)
            #expect(outcome.full)
            // A second full sync finds the jumps in place and adds none (nftables: replaces its table).
            _ = try await backend.apply([.init(port: port, endpoints: endpoints)], node: scratch.node, full: true)
            let jumps = try await Self.sh(["ip", "netns", "exec", scratch.host, "iptables-save"]).split(separator: "\n").filter {
                $0.hasPrefix("-A PREROUTING") || $0.hasPrefix("-A OUTPUT") || $0.hasPrefix("-A POSTROUTING")
                    || $0.hasPrefix("-A INPUT") || $0.hasPrefix("-A FORWARD")
            }
            #expect(jumps.count == (mode == .iptables ? BuiltinJump.all.count : 0), "\(jumps)")
            if mode == .nftables {
                let tables = try await Self.sh(["ip", "netns", "exec", scratch.host, "nft", "list", "tables"])
                #expect(tables.split(separator: "\n").filter { $0.contains("kyvern") } == ["table ip kyvern"])
            }

            let fromHost = try await Self.counts("http://\(scratch.serviceIP):80/", requests: 30, from: scratch.host)
            #expect(fromHost.keys.sorted() == ["pod1", "pod2", "pod3"])
            let nodePort = try await Self.counts("http://\(scratch.gateway):30080/", requests: 30, from: scratch.host)
            #expect(nodePort.keys.sorted() == ["pod1", "pod2", "pod3"])
            let localhost = try await Self.counts("http://127.0.0.1:30080/", requests: 30, from: scratch.host)
            #expect(localhost.keys.sorted() == ["pod1", "pod2", "pod3"])
            // From a pod, including to itself (hairpin: marked and masqueraded).
            let fromPod = try await Self.counts("http://\(scratch.serviceIP):80/", requests: 30, from: scratch.namespace(1))
            #expect(fromPod.keys.sorted() == ["pod1", "pod2", "pod3"])

            // One endpoint leaves: a partial sync. iptables deletes its endpoint chain; nftables
            // rewrites the one service chain that picks it.
            let gone = ChainNames.endpoint(port, endpoints[0])
            let before = try await Self.kyvernLines(scratch, mode)
            if mode == .iptables { #expect(before.contains(":\(gone) - [0:0]")) }
            #expect(Self.dnats(before, to: endpoints[0].ip, mode))
            let partial = try await backend.apply([.init(port: port, endpoints: Array(endpoints.dropFirst()))],
                                                  node: scratch.node, full: false)
            #expect(!partial.full)
            if mode == .iptables { #expect(partial.chainsDeleted == 1) } else { #expect(partial.chainsWritten == 1) }
            let afterLines = try await Self.kyvernLines(scratch, mode)
            #expect(!afterLines.contains { $0.contains(gone) })
            #expect(!Self.dnats(afterLines, to: endpoints[0].ip, mode))
            #expect(Self.dnats(afterLines, to: endpoints[1].ip, mode))
            let after = try await Self.counts("http://\(scratch.serviceIP):80/", requests: 20, from: scratch.host)
            #expect(after.keys.sorted() == ["pod2", "pod3"])

            try await backend.removeAll()
            let left = try await Self.kyvernLines(scratch, mode)
            #expect(left == [])
        }
    }

    @Test(arguments: ProxyMode.allCases)
    func noEndpointsRefusesAtOnce(mode: ProxyMode) async throws {
        try await Self.withScratch { scratch in
            let backend = scratch.backend(mode)
            let (port, _) = scratch.ports()
            _ = try await backend.apply([.init(port: port, endpoints: [])], node: scratch.node, full: true)
            for url in ["http://\(scratch.serviceIP):80/", "http://\(scratch.gateway):30080/"] {
                let start = ContinuousClock.now
                let (ok, text) = try await Self.get(url, from: scratch.host)
                let elapsed = ContinuousClock.now - start
                #expect(!ok)
                #expect(text.contains("Connection refused"), "\(url): \(text)")
                // A dropped SYN would be retried after 1 s; a reject ends it at once.
                #expect(elapsed < .seconds(1))
            }
            let fromPod = try await Self.get("http://\(scratch.serviceIP):80/", from: scratch.namespace(2))
            #expect(!fromPod.ok && fromPod.text.contains("Connection refused"), "\(fromPod.text)")
        }
    }

    @Test(arguments: ProxyMode.allCases)
    func clientIPAffinitySticksToOnePod(mode: ProxyMode) async throws {
        try await Self.withScratch { scratch in
            let backend = scratch.backend(mode)
            let (port, endpoints) = scratch.ports(affinity: 600)
            _ = try await backend.apply([.init(port: port, endpoints: endpoints)], node: scratch.node, full: true)
            let counts = try await Self.counts("http://\(scratch.serviceIP):80/", requests: 15, from: scratch.host)
            #expect(counts.count == 1 && counts.keys.first?.hasPrefix("pod") == true, "\(counts)")
            let fromPod = try await Self.counts("http://\(scratch.serviceIP):80/", requests: 15, from: scratch.namespace(3))
            #expect(fromPod.count == 1 && fromPod.keys.first?.hasPrefix("pod") == true, "\(fromPod)")
            try await backend.removeAll()
            let left = try await Self.kyvernLines(scratch, mode)
            #expect(left == [])
        }
    }

    static func slice(_ scratch: Scratch, pods: [Int]) -> JSONValue {
        let endpoints = pods.map { #"{"addresses":["\#(scratch.podIP($0))"],"conditions":{"ready":true},"nodeName":"node-a"}"# }
        return ProxyFixtures.json("""
            {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
             "metadata":{"name":"web-abcde","namespace":"default","labels":{"kubernetes.io/service-name":"web"}},
             "addressType":"IPv4","ports":[{"name":"http","protocol":"TCP","port":8080}],
             "endpoints":[\(endpoints.joined(separator: ","))]}
            """)
    }

    /// Polls `iptables-save` until `condition` holds (at most `limit`); returns the time it took.
    static func waitForRules(_ scratch: Scratch, _ mode: ProxyMode, limit: Duration,
                             _ condition: ([String]) -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < limit {
            if condition(try await kyvernLines(scratch, mode)) { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test(arguments: ProxyMode.allCases)
    func serviceProxyFollowsTheAPIWithinASecondAndCleansUpOnStop(mode: ProxyMode) async throws {
        try await Self.withScratch { scratch in
            let client = FakeClient()
            _ = try client.seed(.services, ProxyFixtures.json("""
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
                 "spec":{"type":"ClusterIP","clusterIP":"\(scratch.serviceIP)","clusterIPs":["\(scratch.serviceIP)"],
                         "ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080}]}}
                """))
            _ = try client.seed(.endpointSlices, Self.slice(scratch, pods: [1, 2, 3]))
            var logger = Logger(label: "proxy-test")
            logger.logLevel = .warning
            // Rules of the other mode, as a node switched from one mode to the other has: removed at start.
            let other: ProxyMode = mode == .iptables ? .nftables : .iptables
            let (port, endpoints) = scratch.ports()
            _ = try await scratch.backend(other).apply([.init(port: port, endpoints: endpoints)], node: scratch.node, full: true)
            #expect(try await !Self.kyvernLines(scratch, other).isEmpty)
            let proxy = ServiceProxy(client: client, node: scratch.node, logger: logger, backend: scratch.backend(mode))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await proxy.run() }
                let dnat = { (ip: String) in { (lines: [String]) in Self.dnats(lines, to: ip, mode) } }
                let programmed = try await Self.waitForRules(scratch, mode, limit: .seconds(10)) { lines in
                    (1...3).allSatisfy { dnat(scratch.podIP($0))(lines) }
                }
                #expect(programmed != nil)
                #expect(try await Self.kyvernLines(scratch, other) == [])
                let counts = try await Self.counts("http://\(scratch.serviceIP):80/", requests: 30, from: scratch.host)
                #expect(counts.keys.sorted() == ["pod1", "pod2", "pod3"])

                // pod1 leaves the slice: the kernel follows within a second.
                _ = try await client.update(.endpointSlices, namespace: "default", Self.slice(scratch, pods: [2, 3]),
                                            options: WriteOptions())
                let took = try await Self.waitForRules(scratch, mode, limit: .seconds(5)) { !dnat(scratch.podIP(1))($0) }
                #expect(took != nil && took! < .seconds(1), "\(String(describing: took))")
                let after = try await Self.counts("http://\(scratch.serviceIP):80/", requests: 20, from: scratch.host)
                #expect(after.keys.sorted() == ["pod2", "pod3"])

                // Every endpoint gone: connections are refused.
                _ = try await client.update(.endpointSlices, namespace: "default", Self.slice(scratch, pods: []),
                                            options: WriteOptions())
                let rejected = try await Self.waitForRules(scratch, mode, limit: .seconds(5)) { Self.rejects($0, mode) }
                #expect(rejected != nil)
                let refused = try await Self.get("http://\(scratch.serviceIP):80/", from: scratch.host)
                #expect(!refused.ok && refused.text.contains("Connection refused"), "\(refused.text)")

                group.cancelAll()
                try await group.waitForAll()
            }
            let left = try await Self.kyvernLines(scratch, mode)
            #expect(left == [])
        }
    }

    /// busybox httpd's REMOTE_ADDR, `[::ffff:10.0.0.1]`, as a plain IPv4 address.
    static func clientAddress(_ text: String) -> String {
        var address = text.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if address.hasPrefix("::ffff:") { address.removeFirst(7) }
        return address
    }

    @Test(arguments: ProxyMode.allCases)
    func loadBalancerAddressSpreadsOverPodsAndLocalPolicyKeepsTheClientAddress(mode: ProxyMode) async throws {
        try await Self.withScratch { scratch in
            try await scratch.setUpOutside()
            let backend = scratch.backend(mode)
            var (port, endpoints) = scratch.ports()
            port.externalAddresses = [scratch.loadBalancerIP]
            _ = try await backend.apply([.init(port: port, endpoints: endpoints)], node: scratch.node, full: true)
            let url = "http://\(scratch.loadBalancerIP):80/"
            for from in [scratch.host, scratch.namespace(1), scratch.outside] {
                let counts = try await Self.counts(url, requests: 30, from: from)
                #expect(counts.keys.sorted() == ["pod1", "pod2", "pod3"], "from \(from): \(counts)")
            }
            // Policy Cluster: a client outside is masqueraded; the pods see the node's address.
            let masqueraded = try await Self.get(url + "cgi-bin/ip", from: scratch.outside)
            #expect(masqueraded.ok && Self.clientAddress(masqueraded.text) == scratch.gateway, "\(masqueraded.text)")

            // Policy Local with every endpoint on this node: the client's own address arrives.
            port.externalPolicyLocal = true
            _ = try await backend.apply([.init(port: port, endpoints: endpoints)], node: scratch.node, full: true)
            let kept = try await Self.get(url + "cgi-bin/ip", from: scratch.outside)
            #expect(kept.ok && Self.clientAddress(kept.text) == scratch.outsideIP, "\(kept.text)")

            // Policy Local, endpoints only on another node: dropped for outside clients.
            let remote = endpoints.map { ProxyEndpoint(ip: $0.ip, port: $0.port, nodeName: "node-b") }
            _ = try await backend.apply([.init(port: port, endpoints: remote)], node: scratch.node, full: true)
            let dropped = try await Self.get(url, from: scratch.outside)
            #expect(!dropped.ok, "\(dropped.text)")

            // No endpoints at all: refused at once, as a cluster IP.
            port.externalPolicyLocal = false
            _ = try await backend.apply([.init(port: port, endpoints: [])], node: scratch.node, full: true)
            let refused = try await Self.get(url, from: scratch.outside)
            #expect(!refused.ok && refused.text.contains("Connection refused"), "\(refused.text)")
            try await backend.removeAll()
            #expect(try await Self.kyvernLines(scratch, mode) == [])
        }
    }
}
