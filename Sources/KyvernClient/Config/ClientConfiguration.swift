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
    /// Sent as `Authorization: Bearer <token>`.
    public var bearerToken: String?
    /// A client certificate the server authenticates (the admin kubeconfig's way).
    public var clientIdentity: ClientIdentity?
    /// The `User-Agent` of every request; set per component with ``withComponent(_:)``.
    public var userAgent: String

    /// A client certificate and its private key, both PEM.
    public struct ClientIdentity: Sendable, Hashable {
        /// The certificate (chain), PEM.
        public var certificatePEM: String
        /// The private key of the certificate, PEM.
        public var privateKeyPEM: String

        /// Both PEM texts as read from the kubeconfig.
        public init(certificatePEM: String, privateKeyPEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
        }
    }

    /// For requests not attributed to a component.
    public static let defaultUserAgent = UserAgent.make(component: "kyvern")

    /// This configuration with the user agent of `component` (e.g. "kyvern-scheduler"), so each
    /// component built from one kubeconfig identifies itself.
    public func withComponent(_ component: String) -> ClientConfiguration {
        var copy = self
        copy.userAgent = UserAgent.make(component: component)
        return copy
    }

    /// A configuration given field by field (tests, flags); components use ``init(kubeconfigPath:context:component:)``.
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

extension ClientConfiguration {
    /// Reads the kubeconfig at `path` and resolves `context` (default: its current context), with
    /// the user agent of `component` when given.
    public init(kubeconfigPath path: String, context: String? = nil, component: String? = nil) throws {
        let userAgent = component.map { UserAgent.make(component: $0) } ?? ClientConfiguration.defaultUserAgent
        self = try Kubeconfig.load(path: path).configuration(context: context, userAgent: userAgent)
    }
}
