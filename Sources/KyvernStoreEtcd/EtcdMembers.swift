import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import NIOHTTP2
import Synchronization
typealias EtcdGRPCClient = GRPCClient<HTTP2ClientTransport.Posix>

/// One gRPC client per etcd member, and which member the store talks to now.
///
/// Each member answers for the whole cluster (a follower forwards writes to the Raft leader), so
/// the store uses one at a time and moves to the next when a call finds it unavailable.
final class EtcdMembers: Sendable {
    let endpoints: [EtcdConfiguration.Endpoint]
    let clients: [EtcdGRPCClient]
    let requestTimeout: Duration
    private let preferred = Atomic<Int>(0)
    private let logger: Logger

    init(configuration: EtcdConfiguration, logger: Logger) throws {
        guard !configuration.endpoints.isEmpty else {
            throw EtcdConfigurationError(input: "", reason: "no endpoint given")
        }
        endpoints = configuration.endpoints
        requestTimeout = configuration.requestTimeout
        self.logger = logger
        clients = try configuration.endpoints.map { endpoint in
            let security: HTTP2ClientTransport.Posix.TransportSecurity
            if endpoint.secure {
                security = .tls { tls in
                    if let ca = configuration.caFile { tls.trustRoots = .certificates([.file(path: ca, format: .pem)]) }
                    if let cert = configuration.certFile, let key = configuration.keyFile {
                        tls.certificateChain = [.file(path: cert, format: .pem)]
                        tls.privateKey = .file(path: key, format: .pem)
                    }
                }
            } else {
                security = .plaintext
            }
            var config = HTTP2ClientTransport.Posix.Config.defaults
            // A member that went away is noticed within seconds while the watch stream runs (etcd refuses
            // pings on a connection without calls: they count as abuse).
            config.connection.keepalive = .init(time: .seconds(10), timeout: .seconds(5), allowWithoutCalls: false)
            config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
            config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                channel.eventLoop.makeCompletedFuture {
                    let http2 = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self)
                    try channel.pipeline.syncOperations.addHandler(EtcdFrameFilter(), position: .before(http2))
                }
            }
            let target = Self.target(endpoint)
            let transport = try HTTP2ClientTransport.Posix(target: target, transportSecurity: security, config: config)
            return GRPCClient(transport: transport)
        }
    }

    /// Keeps every member's connection up until ``shutdown()``.
    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for client in clients {
                group.addTask { try await client.runConnections() }
            }
        }
    }

    func shutdown() {
        for client in clients { client.beginGracefulShutdown() }
    }

    /// The member calls go to now.
    var current: (index: Int, client: EtcdGRPCClient) {
        let index = preferred.load(ordering: .relaxed)
        return (index, clients[index])
    }

    /// Moves calls away from member `index` (if it is still the current one) to the next.
    func markUnavailable(_ index: Int, because error: any Error) {
        let next = (index + 1) % clients.count
        if preferred.compareExchange(expected: index, desired: next, ordering: .relaxed).exchanged, clients.count > 1 {
            logger.warning("etcd member unavailable; moving to the next", metadata: [
                "member": "\(endpoints[index])", "next": "\(endpoints[next])", "error": "\(error)"])
        }
    }

    /// Options for one unary call: fail rather than wait while a member is down, so the next one
    /// can be tried; accept the large responses of a full list.
    var unaryOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = requestTimeout
        options.waitForReady = false
        options.maxRequestMessageBytes = Self.maxMessageBytes
        options.maxResponseMessageBytes = Self.maxMessageBytes
        return options
    }

    var streamOptions: CallOptions {
        var options = CallOptions.defaults
        options.waitForReady = false
        options.maxRequestMessageBytes = Self.maxMessageBytes
        options.maxResponseMessageBytes = Self.maxMessageBytes
        return options
    }

    static let maxMessageBytes = 256 << 20

    /// Runs `body` against the current member; when that member is unavailable, moves on and, for
    /// up to one round of the members, tries again there. `retries: false` for calls that must not
    /// run twice unknowingly (the caller decides what a repeat means).
    func call<Result: Sendable>(
        retries: Bool = true, _ body: (EtcdGRPCClient) async throws -> Result
    ) async throws -> Result {
        var lastError: (any Error)?
        for _ in 0..<(retries ? clients.count : 1) {
            let (index, client) = current
            do {
                return try await body(client)
            } catch let error as RPCError where Self.isUnavailable(error) {
                markUnavailable(index, because: error)
                lastError = error
            }
        }
        throw lastError!
    }

    static func isUnavailable(_ error: RPCError) -> Bool {
        error.code == .unavailable || error.code == .deadlineExceeded
            || (error.code == .unknown && error.message.contains("no leader"))
    }

    private static func target(_ endpoint: EtcdConfiguration.Endpoint) -> any ResolvableTarget {
        if isIPv4(endpoint.host) {
            return ResolvableTargets.IPv4(addresses: [.init(host: endpoint.host, port: endpoint.port)])
        }
        if endpoint.host.contains(":") {
            return ResolvableTargets.IPv6(addresses: [.init(host: endpoint.host, port: endpoint.port)])
        }
        return ResolvableTargets.DNS(host: endpoint.host, port: endpoint.port)
    }

    private static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
