import Hummingbird
import HummingbirdTLS
import HummingbirdWebSocket
public import KyvernRuntime
public import Logging
import NIOCore
public import ServiceLifecycle

/// The agent's own HTTPS endpoint, with upstream kubelet's paths: container logs, exec, attach
/// and port-forward over WebSocket, `/stats/summary`, `/healthz`. The API server proxies
/// `kubectl logs`, `exec`, `attach`, `port-forward` and `top` here.
public struct KubeletServer: Service {
    let configuration: KubeletServerConfiguration
    let runtime: any ContainerRuntime
    let lookup: any ContainerLookup
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    public init(configuration: KubeletServerConfiguration, runtime: any ContainerRuntime, lookup: any ContainerLookup,
                logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.configuration = configuration
        self.runtime = runtime
        self.lookup = lookup
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let endpoint = KubeletEndpoint(runtime: runtime, lookup: lookup, token: configuration.token,
                                       nodeName: configuration.nodeName, sampler: UsageSampler(), logger: logger)
        let sessions = StreamSessions(endpoint: endpoint)
        let onRunning = self.onRunning
        let app = Application(
            responder: KubeletResponder(endpoint: endpoint),
            server: try .tls(.http1WebSocketUpgrade(configuration: .init(http1: .init(idleTimeout: nil))) { request, channel, _ in
                let decision = try await sessions.shouldUpgrade(request)
                if case .upgrade = decision {
                    try await channel.eventLoop.submit {
                        try channel.pipeline.syncOperations.addHandler(HalfCloseAfterClientSpoke())
                    }.get()
                }
                return decision
            }, tlsConfiguration: configuration.identity.tlsConfiguration()),
            configuration: .init(address: .hostname(configuration.bindAddress, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.run()
    }
}
