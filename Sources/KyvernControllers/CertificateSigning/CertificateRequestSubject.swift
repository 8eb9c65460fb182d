import SwiftASN1
import X509

/// What the approver and the kubelet-client signer judge in a PKCS#10 request: its subject's CN and
/// O attributes and whether it asks for subject alternative names (a node client certificate may not).
package struct CertificateRequestSubject: Hashable, Sendable {
    package var commonName: String
    package var organizations: [String]
    /// The kinds of subject alternative names requested through the extension request, in
    /// upstream's words: "DNS", "Email", "IP", "URI".
    package var alternativeNameKinds: Set<String>

    package init(commonName: String, organizations: [String], alternativeNameKinds: Set<String> = []) {
        self.commonName = commonName
        self.organizations = organizations
        self.alternativeNameKinds = alternativeNameKinds
    }

    /// Parses a PEM `CERTIFICATE REQUEST`; nil when it does not parse.
    package init?(pem: String) {
        guard let request = try? CertificateSigningRequest(pemEncoded: pem) else { return nil }
        var commonName = ""
        var organizations: [String] = []
        for rdn in request.subject {
            for attribute in rdn {
                switch attribute.type {
                case .RDNAttributeType.commonName: commonName = String(describing: attribute.value)
                case .RDNAttributeType.organizationName: organizations.append(String(describing: attribute.value))
                default: continue
                }
            }
        }
        var kinds: Set<String> = []
        let names = (try? request.attributes.extensionRequest?.extensions.subjectAlternativeNames) ?? nil
        for name in names.map(Array.init) ?? [] {
            switch name {
            case .dnsName: kinds.insert("DNS")
            case .rfc822Name: kinds.insert("Email")
            case .ipAddress: kinds.insert("IP")
            case .uniformResourceIdentifier: kinds.insert("URI")
            default: continue
            }
        }
        self.init(commonName: commonName, organizations: organizations, alternativeNameKinds: kinds)
    }
}
