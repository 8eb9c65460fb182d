/// Kyvern's rules for a node's Ingress controller certificate (signer `kyvern.io/ingress-client`):
/// CN `system:kyvern-ingress:<node>`, exactly the group `system:kyvern-ingresses`, no alternative
/// names, client-auth usages. Its own signer, so neither the approver nor the signer needs power
/// over `kubernetes.io/kube-apiserver-client`, whose certificates may name anyone. Only the node
/// itself may ask (the requester must be `system:node:<the same node>`), and the approver still
/// asks RBAC whether it may (`create certificatesigningrequests/selfnodeingress`).
package enum IngressClientRequest {
    package static let signerName = "kyvern.io/ingress-client"
    package static let userPrefix = "system:kyvern-ingress:"
    package static let group = "system:kyvern-ingresses"
    package static let permission = "selfnodeingress"
    package static let approvalMessage = "Auto approving node ingress client certificate after SubjectAccessReview."

    /// The user a node's Ingress controller acts as.
    package static func userName(nodeName: String) -> String { userPrefix + nodeName }

    /// Why the signer refuses to sign; nil when the request is acceptable.
    package static func validationError(_ subject: CertificateRequestSubject, usages: [String]) -> String? {
        if subject.organizations != [group] {
            return "subject organization is not \(group)"
        }
        for kind in ["DNS", "Email", "IP", "URI"] where subject.alternativeNameKinds.contains(kind) {
            return "\(kind) subjectAltNames are not allowed"
        }
        if !subject.commonName.hasPrefix(userPrefix) || subject.commonName.count == userPrefix.count {
            return "subject common name does not begin with \(userPrefix)"
        }
        if !KubeletClientRequest.acceptedUsages.contains(Set(usages)) {
            return "usages did not match [\(KubeletClientRequest.acceptedUsages[0].sorted().joined(separator: " "))]"
        }
        return nil
    }

    /// Whether the approver should consider the request: valid, and asked for by the node it names.
    package static func isSelfRequest(_ subject: CertificateRequestSubject, usages: [String], requester: String) -> Bool {
        guard validationError(subject, usages: usages) == nil else { return false }
        let node = subject.commonName.dropFirst(userPrefix.count)
        return requester == KubeletClientRequest.nodeUserPrefix + node
    }
}
