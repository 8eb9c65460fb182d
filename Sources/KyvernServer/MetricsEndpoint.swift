import Hummingbird
public import Logging
public import Prometheus
public import ServiceLifecycle

/// Serves a component's metrics at `http://<address>/metrics` and a liveness answer at
/// `/healthz`, for components started alone (`kyvern scheduler`, `kyvern agent`, ...); inside
/// `kyvern server` the API server's own `/metrics` shows the shared registry instead.
public struct MetricsEndpoint: Service {
    public let host: String
    public let port: Int
    let registry: PrometheusCollectorRegistry
    let logger: Logger

    /// `address` is "host:port" (upstream's `--metrics-bind-address`).
    public init(address: String, registry: PrometheusCollectorRegistry, logger: Logger) throws {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw MetricsEndpointError(message: "--metrics-bind-address: expected host:port, got \(address)")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
        self.registry = registry
        self.logger = logger
    }

    public func run() async throws {
        let router = Router()
        let registry = self.registry
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/healthz") { _, _ in "ok" }
        let app = Application(router: router,
                              configuration: .init(address: .hostname(host, port: port), serverName: nil),
                              logger: logger)
        try await app.run()
    }
}

public struct MetricsEndpointError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
