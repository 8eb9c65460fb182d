import KyvernAPIServer
import KyvernClient
import KyvernNetwork
import Logging
import ServiceLifecycle

/// Builds the built-in Ingress controller for the server's node, with a default certificate
/// from the cluster CA for TLS clients whose host no Ingress names (or who send no SNI).
public enum IngressRunner {
    static func make(client: any KubernetesClient, options: ServerOptions, pki: ClusterPKI,
                     logger: Logger) throws -> any Service {
        var settings = IngressController.Settings(httpPort: options.ingressHTTPPort, httpsPort: options.ingressHTTPSPort,
                                                  nodeName: options.agent.nodeName)
        settings.nodeAddress = options.agent.nodeIP
        let issued = try pki.issueServingCertificate(commonName: "Kyvern Ingress Default Certificate",
                                                     dnsNames: ["ingress.local"], ipAddresses: [])
        settings.defaultCertificatePEM = Array(issued.certificatePEM.utf8)
        settings.defaultKeyPEM = Array(issued.privateKeyPEM.utf8)
        return IngressController(client: client, settings: settings, logger: logger)
    }
}

extension IngressRunner {
    /// `kyvern ingress-bench`: the proxy on `port` with every request going to `endpoints`
    /// (`ip:port`), until the process is stopped.
    public static func benchmarkServe(port: Int, endpoints: [String]) async throws {
        try await IngressStaticServer.serve(port: port, endpoints: endpoints)
    }
}
