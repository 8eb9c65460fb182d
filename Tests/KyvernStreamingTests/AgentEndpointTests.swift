import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import KyvernRuntime
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import ServiceLifecycle
import Synchronization
import Testing
@testable import KyvernKubelet

/// A runtime with one container whose log file and exec behaviour the test controls.
private struct StreamingFakeRuntime: ContainerRuntime {
    let logPath: String
    func version() async throws -> RuntimeVersion { throw RuntimeError.unsupported("version") }
    func runPodSandbox(_ config: PodSandboxConfig) async throws -> String { throw RuntimeError.unsupported("sandbox") }
    func stopPodSandbox(id: String) async throws {}
    func removePodSandbox(id: String) async throws {}
    func podSandboxStatus(id: String) async throws -> PodSandboxStatus { throw RuntimeError.sandboxNotFound(id) }
    func listPodSandboxes() async throws -> [PodSandboxStatus] { [] }
    func createContainer(sandboxID: String, config: ContainerConfig, sandboxConfig: PodSandboxConfig) async throws -> String {
        throw RuntimeError.unsupported("create")
    }
    func startContainer(id: String) async throws {}
    func stopContainer(id: String, gracePeriod: Duration) async throws {}
    func removeContainer(id: String) async throws {}
    func containerStatus(id: String) async throws -> ContainerStatus {
        guard id == "c1" else { throw RuntimeError.containerNotFound(id) }
        return ContainerStatus(id: id, sandboxID: "s1", metadata: ContainerMetadata(name: "app", attempt: 0), state: .exited,
                               createdAt: Date(), image: "busybox", logPath: logPath)
    }
    func listContainers(_ filter: ContainerFilter) async throws -> [ContainerStatus] { [] }
    func updateContainerResources(id: String, resources: LinuxResources) async throws {}
    func execSync(id: String, command: [String], timeout: Duration) async throws -> ExecResult { ExecResult(exitCode: 0) }
    /// Echoes stdin upper-cased to stdout, writes the command to stderr, exits with 3.
    func exec(id: String, command: [String], tty: Bool, io: StreamIO) async throws -> Int32 {
        await io.stderr?(Array(command.joined(separator: " ").utf8))
        if let stdin = io.stdin {
            for await chunk in stdin { await io.stdout?(Array(String(decoding: chunk, as: UTF8.self).uppercased().utf8)) }
        }
        return 3
    }
    func attach(id: String, tty: Bool, io: StreamIO) async throws {}
    /// Port 9999: nothing listens there, the connection fails at once.
    func portForward(sandboxID: String, port: Int, io: ByteStream) async throws {
        if port == 9999 { throw POSIXError(.ECONNREFUSED) }
    }
    func containerStats(id: String) async throws -> ContainerStats {
        ContainerStats(containerID: id, timestamp: Date(), cpuUsageCoreNanoSeconds: UInt64(Date().timeIntervalSince1970 * 1e8),
                       memoryWorkingSetBytes: 4 << 20, memoryUsageBytes: 5 << 20)
    }
}

private struct OnePodLookup: ContainerLookup {
    let entry = PodContainers(namespace: "ns", name: "p", uid: "u1", sandboxID: "s1",
                              containers: ["app": ContainerAttempts(current: "c1", previous: nil)])
    func pod(namespace: String, name: String) async -> PodContainers? { namespace == "ns" && name == "p" ? entry : nil }
    func pods() async -> [PodContainers] { [entry] }
}

@Suite(.serialized) struct AgentEndpointTests {
    static let token = "agent-test-token"

    func withAgent(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kyvern-streaming-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("0.log").path
        try "2026-11-26T10:00:00Z stdout F hello\n2026-11-26T10:00:01Z stderr F world\n".write(toFile: log, atomically: true, encoding: .utf8)
        let (ports, portInput) = AsyncStream<Int>.makeStream()
        let server = KubeletServer(
            configuration: KubeletServerConfiguration(bindAddress: "127.0.0.1", port: 0,
                                                      identity: try ServingIdentity.selfSigned(nodeName: "n1", addresses: ["127.0.0.1"]),
                                                      token: Self.token, nodeName: "n1"),
            runtime: StreamingFakeRuntime(logPath: log), lookup: OnePodLookup(), logger: Logger(label: "test"),
            onRunning: { portInput.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port)
            group.cancelAll()
        }
    }

    static let http: HTTPClient = {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }()

    /// A WebSocket client of the agent speaking `subprotocol`, as the API server is one.
    static func client(_ subprotocol: String) -> WebSocketClientConfiguration {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.authorization: "Bearer \(token)", .secWebSocketProtocol: subprotocol]
        configuration.sniHostname = "n1"
        return configuration
    }

    static let clientTLS: TLSConfiguration = {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return tls
    }()

    func get(_ url: String, token: String = token) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await Self.http.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func logsStatsAndAuthentication() async throws {
        try await withAgent { port in
            let base = "https://127.0.0.1:\(port)"
            #expect(try await get("\(base)/containerLogs/ns/p/app") == (200, "hello\nworld\n"))
            #expect(try await get("\(base)/containerLogs/ns/p/app?tailLines=1&timestamps=true") == (200, "2026-11-26T10:00:01Z world\n"))
            #expect(try await get("\(base)/containerLogs/ns/p/app?limitBytes=3") == (200, "hel"))
            let (code, body) = try await get("\(base)/containerLogs/ns/p/nope")
            #expect(code == 404)
            #expect(body.contains(#"container \"nope\" not found in pod \"p\""#))
            #expect(try await get("\(base)/containerLogs/ns/p/app", token: "wrong").0 == 401)
            let (statsCode, stats) = try await get("\(base)/stats/summary")
            #expect(statsCode == 200)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])
            let pods = try #require(summary["pods"] as? [[String: Any]])
            let containers = try #require(pods.first?["containers"] as? [[String: Any]])
            let cpu = try #require(containers.first?["cpu"] as? [String: Any])
            #expect((cpu["usageNanoCores"] as? NSNumber)?.intValue ?? 0 > 0)
            let memory = try #require(containers.first?["memory"] as? [String: Any])
            #expect((memory["workingSetBytes"] as? NSNumber)?.intValue == 4 << 20)
        }
    }

    @Test func execOverV5() async throws {
        try await withAgent { port in
            let url = "wss://127.0.0.1:\(port)/exec/ns/p/app?command=echo&command=hi&input=1&output=1&error=1"
            let received = try await WebSocketClient.connect(url: url, configuration: Self.client("v5.channel.k8s.io"),
                                                             tlsConfiguration: Self.clientTLS,
                                                             logger: Logger(label: "test")) { inbound, outbound, _ in
                try await outbound.write(.binary(ByteBuffer(bytes: [0] + Array("abc".utf8))))
                try await outbound.write(.binary(ByteBuffer(bytes: [255, 0])))
                var messages: [[UInt8]] = []
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    if case .binary(var buffer) = message { messages.append(buffer.readBytes(length: buffer.readableBytes) ?? []) }
                }
                let stdout = messages.filter { $0.first == 1 }.flatMap { $0.dropFirst() }
                let stderr = messages.filter { $0.first == 2 }.flatMap { $0.dropFirst() }
                let status = messages.filter { $0.first == 3 }.flatMap { $0.dropFirst() }
                #expect(String(decoding: stdout, as: UTF8.self) == "ABC")
                #expect(String(decoding: stderr, as: UTF8.self) == "echo hi")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(status)) as? [String: Any])
                #expect(object["reason"] as? String == "NonZeroExitCode")
            }
            _ = received
        }
    }

    /// A session that ends within milliseconds of the upgrade (a port nothing listens on) still
    /// reaches the client whole: its port prefixes, its error and its close.
    @Test(.timeLimit(.minutes(1))) func aPortForwardThatFailsAtOnceDeliversItsError() async throws {
        try await withAgent { port in
            let url = "wss://127.0.0.1:\(port)/portForward/ns/p?port=9999"
            try await withThrowingTaskGroup(of: [[UInt8]].self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let messages = Mutex<[[UInt8]]>([])
                        let closed = try await WebSocketClient.connect(url: url, configuration: Self.client("portforward.k8s.io"),
                                                                       tlsConfiguration: Self.clientTLS,
                                                                       logger: Logger(label: "test")) { inbound, outbound, _ in
                            try await outbound.write(.binary(ByteBuffer(bytes: [0, 0x0f, 0x27])))
                            for try await message in inbound.messages(maxSize: 1 << 20) {
                                guard case .binary(var buffer) = message else { continue }
                                let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                                messages.withLock { $0.append(bytes) }
                            }
                        }
                        #expect(closed?.closeCode == .normalClosure)
                        return messages.withLock { $0 }
                    }
                }
                for try await messages in group {
                    #expect(messages.prefix(2) == [[0, 0x0f, 0x27], [1, 0x0f, 0x27]])
                    let error = messages.filter { $0.first == 1 }.dropFirst().flatMap { $0.dropFirst() }
                    #expect(String(decoding: error, as: UTF8.self).hasPrefix("error forwarding port 9999 to pod s1"))
                }
            }
        }
    }
}
