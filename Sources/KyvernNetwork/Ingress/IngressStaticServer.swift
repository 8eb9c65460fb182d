import NIOCore
import NIOPosix

/// The proxy with a fixed route (every host, `/` → `endpoints`) and no cluster: what
/// `kyvern ingress-bench` runs so bench/network can measure the data path alone.
package enum IngressStaticServer {
    /// Serves until the process ends.
    package static func serve(host: String = "0.0.0.0", port: Int, endpoints: [String]) async throws {
        let backend = IngressBackend(namespace: "bench", service: "web", port: .number(80))
        var configuration = IngressConfiguration()
        configuration.routes.add(host: nil, rule: IngressPathRule(kind: .prefix, path: "/", backend: backend))
        configuration.endpoints[backend] = endpoints.compactMap { text in
            let parts = text.split(separator: ":")
            guard parts.count == 2, let number = Int(parts[1]) else { return nil }
            return ProxyEndpoint(ip: String(parts[0]), port: number)
        }
        let store = IngressSnapshotStore(IngressSnapshot(configuration: configuration))
        let channel = try await IngressListener.bindHTTP(host: host, port: port, store: store, metrics: .disabled,
                                                         group: MultiThreadedEventLoopGroup.singleton)
        try await channel.closeFuture.get()
    }
}
