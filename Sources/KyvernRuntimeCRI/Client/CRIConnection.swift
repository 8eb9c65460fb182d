internal import GRPCCore
internal import GRPCNIOTransportHTTP2
public import Logging
public import ServiceLifecycle

typealias CRIGRPCClient = GRPCClient<HTTP2ClientTransport.Posix>

/// The one gRPC connection to the runtime's socket, shared by the runtime and image clients.
///
/// It is a `Service` so that its connection loop runs inside the agent's `ServiceGroup` and ends
/// with it; calls made before it runs wait for it (`waitForReady`), as the kubelet waits for its
/// runtime at start-up.
public final class CRIConnection: Service, Sendable {
    public let endpoint: CRIEndpoint
    let client: CRIGRPCClient
    let logger: Logger
    /// Ceiling for an ordinary call; pulls and stops pass their own.
    let requestTimeout: Duration

    public init(endpoint: CRIEndpoint, requestTimeout: Duration = .seconds(120), logger: Logger) throws {
        self.endpoint = endpoint
        self.requestTimeout = requestTimeout
        self.logger = logger
        var config = HTTP2ClientTransport.Posix.Config.defaults
        config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
        let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: endpoint.socketPath),
                                                       transportSecurity: .plaintext, config: config)
        client = GRPCClient(transport: transport)
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await client.runConnections()
        } onGracefulShutdown: {
            self.client.beginGracefulShutdown()
        }
    }

    /// Stops the connection loop (for callers that run it outside a `ServiceGroup`).
    public func shutdown() {
        client.beginGracefulShutdown()
    }

    var runtimeService: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix> { .init(wrapping: client) }
    var imageService: Runtime_V1_ImageService.Client<HTTP2ClientTransport.Posix> { .init(wrapping: client) }

    func options(timeout: Duration? = nil) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout ?? requestTimeout
        options.waitForReady = true
        options.maxResponseMessageBytes = 64 << 20
        return options
    }
}
