import KyvernAPIServer
import KyvernClient
import KyvernKubelet
import KyvernNetwork
import Logging
import Prometheus
import ServiceLifecycle

/// The built-in Ingress controller's ports on a node (`--ingress-http-port`,
/// `--ingress-https-port`); nil in its place means `--disable ingress`.
public struct IngressPorts: Sendable, Hashable {
    public var http: Int
    public var https: Int

    public init(http: Int = 80, https: Int = 443) {
        self.http = http
        self.https = https
    }
}

/// Builds the built-in Ingress controller of a node, with its metrics in the node's registry.
public enum IngressRunner {
    /// The server's node: a default certificate from the cluster CA for TLS clients whose host no
    /// Ingress names (or who send no SNI).
    static func make(client: any KubernetesClient, options: ServerOptions, pki: ClusterPKI,
                     registry: PrometheusCollectorRegistry, logger: Logger) throws -> any Service {
        var settings = IngressController.Settings(httpPort: options.ingressHTTPPort, httpsPort: options.ingressHTTPSPort,
                                                  nodeName: options.agent.nodeName)
        settings.nodeAddress = options.agent.nodeIP
        let issued = try pki.issueServingCertificate(commonName: "Kyvern Ingress Default Certificate",
                                                     dnsNames: ["ingress.local"], ipAddresses: [])
        settings.defaultCertificatePEM = Array(issued.certificatePEM.utf8)
        settings.defaultKeyPEM = Array(issued.privateKeyPEM.utf8)
        return IngressController(client: client, settings: settings, logger: logger,
                                 metrics: IngressMetrics(factory: PrometheusMetricsFactory(registry: registry)))
    }

    /// A joined node: it holds no CA key, so its default certificate is self-signed (a client that
    /// names no Ingress's host gets no trusted certificate from any ingress controller anyway).
    static func make(client: any KubernetesClient, agent: AgentOptions, ports: IngressPorts,
                     registry: PrometheusCollectorRegistry, logger: Logger) throws -> any Service {
        var settings = IngressController.Settings(httpPort: ports.http, httpsPort: ports.https, nodeName: agent.nodeName)
        settings.nodeAddress = agent.nodeIP
        let identity = try ServingIdentity.selfSigned(nodeName: "ingress.local", addresses: [])
        settings.defaultCertificatePEM = Array(identity.certificatePEM.utf8)
        settings.defaultKeyPEM = Array(identity.privateKeyPEM.utf8)
        return IngressController(client: client, settings: settings, logger: logger,
                                 metrics: IngressMetrics(factory: PrometheusMetricsFactory(registry: registry)))
    }
}

extension IngressRunner {
    /// `kyvern ingress-bench`: the proxy on `port` with every request going to `endpoints`
    /// (`ip:port`), until the process is stopped.
    public static func benchmarkServe(port: Int, endpoints: [String]) async throws {
        try await IngressStaticServer.serve(port: port, endpoints: endpoints)
    }
}
