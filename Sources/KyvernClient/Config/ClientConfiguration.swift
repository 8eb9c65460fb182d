/// Where a component finds the API server and how it proves who it is.
///
/// Kept free of any HTTP library type so it can be built from a kubeconfig, from flags, or by the
/// server for its own in-process components, and compared in tests.
public struct ClientConfiguration: Sendable, Hashable {
    /// The server's base URL, e.g. `https://127.0.0.1:6443` (any path prefix is kept).
    public var server: String
    /// PEM of the certificate authorities the server's certificate must chain to. `nil` trusts the
    /// system roots (only for servers with a public certificate).
    public var certificateAuthorityPEM: String?
    /// Skips server certificate verification (kubeconfig's `insecure-skip-tls-verify`).
    public var insecureSkipTLSVerify: Bool
    /// TLS server name to verify instead of the URL's host (kubeconfig's `tls-server-name`).
    public var tlsServerName: String?
    public var bearerToken: String?
    public var clientIdentity: ClientIdentity?
    public var userAgent: String

    /// A client certificate and its private key, both PEM.
    public struct ClientIdentity: Sendable, Hashable {
        public var certificatePEM: String
        public var privateKeyPEM: String

        public init(certificatePEM: String, privateKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    public static let defaultUserAgent = "kyvern/v1.36.0 (linux) kubernetes/kyvern"

    public init(server: String, certificateAuthorityPEM: String? = nil, insecureSkipTLSVerify: Bool = false,
                tlsServerName: String? = nil, bearerToken: String? = nil, clientIdentity: ClientIdentity? = nil,
                userAgent: String = ClientConfiguration.defaultUserAgent) {
        self.server = server
        self.certificateAuthorityPEM = certificateAuthorityPEM
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
        self.tlsServerName = tlsServerName
        self.bearerToken = bearerToken
        self.clientIdentity = clientIdentity
        self.userAgent = userAgent
    }
}
