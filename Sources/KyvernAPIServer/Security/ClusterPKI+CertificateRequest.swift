import Foundation
import SwiftASN1
import X509

extension ClusterPKI {
    /// Signs a PKCS#10 request as a client certificate, as upstream's `kubernetes.io/kube-apiserver-client`
    /// signer does: the request's subject (CN = user, O = groups) and public key, client-auth usage,
    /// valid for `validity` from now. The request's own signature must verify.
    public func signClientCertificate(requestPEM: String, validity: Double) throws -> String {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: requestPEM)
        } catch {
            throw ClusterPKIError(.certificateIssuance, "the certificate request does not parse: \(error)")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw ClusterPKIError(.certificateIssuance, "the certificate request's signature does not verify")
        }
        let certificate = try PKICertificateIssuer.makeLeaf(
            subject: request.subject, publicKey: request.publicKey, usages: [.clientAuth],
            alternativeNames: PKISubjectAlternativeNames(), authority: self.caCertificate,
            authorityKey: self.caPrivateKey, now: Date(), validity: validity)
        return try PKICertificateIssuer.pem(of: certificate)
    }
}
