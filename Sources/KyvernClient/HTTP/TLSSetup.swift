import NIOSSL

extension ClientConfiguration {
    /// TLS that trusts only the cluster's CA (when one is configured) and presents the client
    /// certificate, so a token is never sent to a server the kubeconfig did not name.
    func makeTLSConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecureSkipTLSVerify {
            tls.certificateVerification = .none
        } else if let pem = certificateAuthorityPEM {
            let roots = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
            guard !roots.isEmpty else { throw KubeconfigError("certificate authority holds no PEM certificate") }
            tls.trustRoots = .certificates(roots)
            // Cluster certificates name IPs and service DNS names; full verification still applies.
            tls.certificateVerification = .fullVerification
        }
        if let identity = clientIdentity {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8))
            tls.certificateChain = chain.map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.privateKeyPEM.utf8), format: .pem))
        }
        return tls
    }
}
