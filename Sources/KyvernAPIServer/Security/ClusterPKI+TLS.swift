public import NIOSSL

extension ClusterPKI {
    /// The API server's TLS configuration: the serving certificate and key, TLS 1.2 or later, and
    /// ALPN offering `h2` then `http/1.1` (Hummingbird's HTTP/2 upgrade channel picks by ALPN).
    ///
    /// - Parameter verifyClientCertificates: when true, the server also asks for a client
    ///   certificate and, if one is presented, requires it to chain to the cluster CA (for node
    ///   agents); clients without one (kubectl with a token) are still accepted.
    public func makeServerTLSConfiguration(verifyClientCertificates: Bool = false) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(self.servingCertificatePEM.utf8))
            key = try NIOSSLPrivateKey(bytes: Array(self.servingPrivateKeyPEM.utf8), format: .pem)
        } catch {
            throw ClusterPKIError(.tlsConfiguration, "NIOSSL rejected the serving certificate or key: \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        if verifyClientCertificates {
            configuration.trustRoots = .certificates(try self.caCertificatesForNIO())
            configuration.certificateVerification = .optionalVerification
        }
        return configuration
    }

    /// A client TLS configuration that trusts only the cluster CA and verifies the host name,
    /// for in-process clients talking to this server over loopback.
    ///
    /// - Parameter clientCertificate: an identity from
    ///   ``issueClientCertificate(commonName:groups:validityDays:)`` to present, if any.
    public func makeClientTLSConfiguration(clientCertificate: IssuedCertificate? = nil) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.trustRoots = .certificates(try self.caCertificatesForNIO())
        configuration.certificateVerification = .fullVerification
        configuration.applicationProtocols = ["h2", "http/1.1"]
        if let clientCertificate {
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(Array(clientCertificate.certificatePEM.utf8))
                let key = try NIOSSLPrivateKey(bytes: Array(clientCertificate.privateKeyPEM.utf8), format: .pem)
                configuration.certificateChain = chain.map { .certificate($0) }
                configuration.privateKey = .privateKey(key)
            } catch {
                throw ClusterPKIError(.tlsConfiguration, "NIOSSL rejected the client certificate or key: \(error)")
            }
        }
        return configuration
    }

    /// The CA certificate as NIOSSL certificates, e.g. for a custom trust root.
    public func caCertificatesForNIO() throws -> [NIOSSLCertificate] {
        do {
            return try NIOSSLCertificate.fromPEMBytes(Array(self.caCertificatePEM.utf8))
        } catch {
            throw ClusterPKIError(.tlsConfiguration, "NIOSSL rejected the CA certificate: \(error)")
        }
    }
}
