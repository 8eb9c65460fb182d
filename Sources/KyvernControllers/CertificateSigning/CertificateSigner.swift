

/// What signs client certificates for the csrsigning controller: the cluster CA, which only the
/// composition root holds (the controller itself never sees the CA key).
public protocol CertificateSigner: Sendable {
    /// A PEM certificate for a PEM PKCS#10 request, valid for `validity` seconds from now.
    func signClientCertificate(requestPEM: String, validity: Double) throws -> String
}
