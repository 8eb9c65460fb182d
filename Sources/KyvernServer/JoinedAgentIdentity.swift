import Foundation
import KyvernClient
import KyvernControllers
import KyvernKubelet
import Logging

/// How a joined agent comes to act as `system:node:<name>`: it reuses its stored certificate while
/// that is good, renews it as itself when it is near expiry, and otherwise bootstraps with the
/// join token, which may do nothing but ask for that certificate.
enum JoinedAgentIdentity {
    /// Where a joined agent keeps its client certificate and key.
    static func directory(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("pki")
    }

    /// `bootstrap` (trusting the pinned CA, authenticating with the join token) turned into the
    /// node's own client configuration: same server and CA, the node's certificate instead of the token.
    static func configuration(bootstrap: ClientConfiguration, nodeName: String, dataDirectory: String,
                              logger: Logger) async throws -> ClientConfiguration {
        let flow = NodeClientBootstrap(nodeName: nodeName, directory: directory(dataDirectory: dataDirectory), logger: logger)
        var certificate = flow.stored()
        if certificate != nil {
            logger.info("using the stored node client certificate", metadata: ["directory": "\(flow.directory)"])
        } else if let current = flow.unexpired() {
            do {
                certificate = try await withClient(nodeConfiguration(bootstrap, current), logger: logger) {
                    try await flow.request(using: $0)
                }
            } catch {
                logger.warning("renewing the node client certificate failed; bootstrapping with the join token",
                               metadata: ["error": "\(error)"])
            }
        }
        if certificate == nil {
            certificate = try await withClient(bootstrap, logger: logger) { try await flow.request(using: $0) }
        }
        guard let certificate else { throw NodeClientBootstrapError(message: "no node client certificate") }
        return nodeConfiguration(bootstrap, certificate)
    }

    /// The node's Ingress controller's configuration: same server and CA, a certificate for
    /// `system:kyvern-ingress:<node>` in `system:kyvern-ingresses`, which the node itself asks for
    /// (signer `kyvern.io/ingress-client`, auto-approved for a node asking for its own) and keeps
    /// beside its own as `ingress-client.{key,crt}`, renewed the same way when near expiry.
    /// A separate user, not the node's: the node authorizer rightly keeps nodes from reading every
    /// Secret, which TLS termination needs, and nothing else of the node's rights is needed.
    static func ingressConfiguration(node: ClientConfiguration, nodeName: String, dataDirectory: String,
                                     logger: Logger) async throws -> ClientConfiguration {
        let profile = NodeClientBootstrap.Profile(commonName: IngressClientRequest.userName(nodeName: nodeName),
                                                  organization: IngressClientRequest.group,
                                                  signerName: IngressClientRequest.signerName, fileBase: "ingress-client")
        let flow = NodeClientBootstrap(nodeName: nodeName, directory: directory(dataDirectory: dataDirectory), logger: logger,
                                       profile: profile)
        if let stored = flow.stored() {
            logger.info("using the stored ingress client certificate", metadata: ["directory": "\(flow.directory)"])
            return nodeConfiguration(node, stored)
        }
        let issued = try await withClient(node, logger: logger) { try await flow.request(using: $0) }
        return nodeConfiguration(node, issued)
    }

    static func nodeConfiguration(_ bootstrap: ClientConfiguration, _ certificate: NodeClientCertificate) -> ClientConfiguration {
        var configuration = bootstrap
        configuration.bearerToken = nil
        configuration.clientIdentity = .init(certificatePEM: certificate.certificatePEM, privateKeyPEM: certificate.privateKeyPEM)
        return configuration
    }

    private static func withClient<T: Sendable>(_ configuration: ClientConfiguration, logger: Logger,
                                                _ body: (APIClient) async throws -> T) async throws -> T {
        try await APIClient.using(configuration, logger: logger.withLabel("kyvern.agent.bootstrap"), body)
    }
}
