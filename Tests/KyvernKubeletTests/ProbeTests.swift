import Foundation
import KyvernAPI
import KyvernRuntime
import KyvernTestSupport
import Testing

@testable import KyvernKubelet

/// A one-shot TCP server on 127.0.0.1 answering every connection with fixed bytes.
final class LocalListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init(reply: [UInt8]) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(sock, 8)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &length) }
        }
        port = Int(UInt16(bigEndian: bound.sin_port))
        fd = sock
        let fd = sock
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(client, &buffer, buffer.count)
                _ = reply.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                usleep(50_000)
                close(client)
            }
        }
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

@Suite("Probes")
struct ProbeTests {
    func http(_ status: String) throws -> LocalListener {
        try LocalListener(reply: Array("HTTP/1.1 \(status)\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8))
    }

    @Test func httpGetSucceedsBelow400AndReportsTheCode() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        let good = try http("200 OK"), bad = try http("503 Service Unavailable")
        defer { good.stop(); bad.stop() }
        let probe = { (port: Int) in ProbeSpec(kind: .liveness, action: .httpGet(scheme: "http", host: nil, port: port, path: "/healthz", headers: [])) }
        #expect(await h.context.prober.run(probe(good.port), containerID: "x", target: "127.0.0.1") == .success)
        #expect(await h.context.prober.run(probe(bad.port), containerID: "x", target: "127.0.0.1")
            == .failure("HTTP probe failed with statuscode: 503"))
    }

    @Test func tcpSocketConnectsOrSaysRefused() async throws {
        let listener = try http("200 OK")
        let port = listener.port
        #expect(await Prober.tcp(host: "127.0.0.1", port: port, timeout: .seconds(15)) == .success)
        listener.stop()
        #expect(await Prober.tcp(host: "127.0.0.1", port: port, timeout: .seconds(1))
            == .failure("dial tcp 127.0.0.1:\(port): connect: connection refused"))
    }

    @Test func execUsesTheRuntime() async throws {
        let h = AgentHarness()
        defer { Task { await h.shutdown() } }
        h.runtime.addImage("127.0.0.1:5000/busybox:1.36")
        let pod = try h.pod()
        await h.sync(h.worker(for: pod))
        let id = try #require(h.runtime.container(named: "app")).id
        let probe = ProbeSpec(kind: .liveness, action: .exec(command: ["cat", "/tmp/healthy"]))
        #expect(await h.context.prober.run(probe, containerID: id, target: "") == .success)
        h.runtime.setExecResult("cat", ExecResult(exitCode: 1, stderr: Array("cat: can't open '/tmp/healthy'".utf8)))
        #expect(await h.context.prober.run(probe, containerID: id, target: "") == .failure("cat: can't open '/tmp/healthy'"))
        h.runtime.setExecResult("cat", ExecResult(exitCode: 137, timedOut: true))
        #expect(await h.context.prober.run(probe, containerID: id, target: "") == .failure("command \"cat /tmp/healthy\" timed out"))
    }

    /// The timeouts are generous: the full suite runs in parallel on two cores, and a one-second
    /// timeout failed a CI run there; what is checked is the answer, not the speed.
    @Test func grpcHealthCheckReadsTheServingStatus() async throws {
        func reply(_ status: UInt8) -> [UInt8] {
            FrameParser.frame(type: 0x4, flags: 0, stream: 0, [])
                + FrameParser.frame(type: 0x1, flags: 0x4, stream: 1, [0x88])
                + FrameParser.frame(type: 0x0, flags: 0, stream: 1, [0, 0, 0, 0, 2, 0x08, status])
        }
        let serving = try LocalListener(reply: reply(1)), notServing = try LocalListener(reply: reply(2))
        defer { serving.stop(); notServing.stop() }
        #expect(await GRPCHealthCheck.check(host: "127.0.0.1", port: serving.port, service: "", timeout: .seconds(15)) == .success)
        #expect(await GRPCHealthCheck.check(host: "127.0.0.1", port: notServing.port, service: "api", timeout: .seconds(15))
            == .failure("service unhealthy (responded with \"NOT_SERVING\")"))
        let request = GRPCHealthCheck.request(authority: "h:1", service: "api")
        #expect(Array(request.prefix(24)) == Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8))
        #expect(Array(request.suffix(10)) == [0, 0, 0, 0, 5, 0x0A, 3, 0x61, 0x70, 0x69])
    }

    @Test func probeSpecDefaultsAndNamedPorts() {
        let container: JSONValue = [
            "name": "app", "ports": [["name": "http", "containerPort": 8080]],
            "readinessProbe": ["httpGet": ["port": "http", "path": "healthz"], "periodSeconds": 5],
            "livenessProbe": ["tcpSocket": ["port": 9000]],
        ]
        let readiness = ProbeSpec.parse(.readiness, container: container)
        #expect(readiness?.action == .httpGet(scheme: "http", host: nil, port: 8080, path: "/healthz", headers: []))
        #expect(readiness?.periodSeconds == 5)
        #expect(readiness?.timeoutSeconds == 1)
        #expect(readiness?.failureThreshold == 3)
        #expect(ProbeSpec.parse(.liveness, container: container)?.action == .tcpSocket(host: nil, port: 9000))
        #expect(ProbeSpec.parse(.startup, container: container) == nil)
    }

    @Test func sandboxDNSAndCredentials() {
        let builder = SandboxConfigBuilder(logRoot: "/l", clusterDNS: ["10.43.0.10"], clusterDomain: "cluster.local",
                                           hostDNS: DNSConfig(servers: ["1.1.1.1"], searches: ["lan"]), nodeName: "node-1")
        let hostNet: JSONValue = ["metadata": ["name": "p", "namespace": "ns", "uid": "u"], "spec": ["hostNetwork": true]]
        #expect(builder.dns(hostNet) == DNSConfig(servers: ["1.1.1.1"], searches: ["lan"]))
        #expect(builder.hostname(hostNet) == "node-1")
        let none: JSONValue = ["metadata": ["name": "p", "namespace": "ns"], "spec": [
            "dnsPolicy": "None", "dnsConfig": ["nameservers": ["9.9.9.9"], "searches": ["a.b"], "options": [["name": "ndots", "value": "2"]]],
        ]]
        #expect(builder.dns(none) == DNSConfig(servers: ["9.9.9.9"], searches: ["a.b"], options: ["ndots:2"]))
        #expect(SandboxConfigBuilder.parseResolvConf("# x\nnameserver 10.0.0.1\nsearch a b\noptions edns0\n")
            == DNSConfig(servers: ["10.0.0.1"], searches: ["a", "b"], options: ["edns0"]))
        #expect(PullCredentials.registry(of: "busybox") == "docker.io")
        #expect(PullCredentials.registry(of: "127.0.0.1:5000/busybox:1.36") == "127.0.0.1:5000")
        #expect(PullCredentials.normalise("https://index.docker.io/v1/") == "docker.io")
        #expect(ContainerConfigBuilder.shares(milliCPU: 0) == 2)
        #expect(ContainerConfigBuilder.shares(milliCPU: 1) == 2)
        #expect(ContainerConfigBuilder.quota(milliCPU: 5) == 1000)
    }
}
