/// Upstream's rules for `kubernetes.io/kube-apiserver-client-kubelet` requests: a node's client
/// certificate names exactly one node (CN `system:node:<name>`), exactly the group `system:nodes`,
/// no alternative names, and only client-auth usages. Both the approver and the signer apply them,
/// so a request that slips past one is still refused by the other.
package enum KubeletClientRequest {
    package static let signerName = "kubernetes.io/kube-apiserver-client-kubelet"
    package static let nodeUserPrefix = "system:node:"
    package static let nodesGroup = "system:nodes"
    /// Exactly one of these usage sets (with or without key encipherment, which only RSA keys use).
    static let acceptedUsages: [Set<String>] = [["digital signature", "key encipherment", "client auth"],
                                                ["digital signature", "client auth"]]

    /// Why the signer refuses to sign, as upstream words it; nil when the request is acceptable.
    package static func validationError(_ subject: CertificateRequestSubject, usages: [String]) -> String? {
        if subject.organizations != [nodesGroup] {
            return "subject organization is not system:nodes"
        }
        for kind in ["DNS", "Email", "IP", "URI"] where subject.alternativeNameKinds.contains(kind) {
            return "\(kind) subjectAltNames are not allowed"
        }
        if !subject.commonName.hasPrefix(nodeUserPrefix) || subject.commonName.count == nodeUserPrefix.count {
            return "subject common name does not begin with system:node:"
        }
        if !acceptedUsages.contains(Set(usages)) {
            return "usages did not match [\(acceptedUsages[0].sorted().joined(separator: " "))]"
        }
        return nil
    }

    /// The permission whose holder may have this request auto-approved: `selfnodeclient` when a
    /// node renews its own certificate, `nodeclient` when a bootstrapper asks for a node's first one.
    package enum Permission: String, Sendable {
        case nodeClient = "nodeclient"
        case selfNodeClient = "selfnodeclient"

        /// What the controller writes on approval, upstream's wording.
        package var approvalMessage: String {
            switch self {
            case .nodeClient: "Auto approving kubelet client certificate after SubjectAccessReview."
            case .selfNodeClient: "Auto approving self kubelet client certificate after SubjectAccessReview."
            }
        }
    }

    /// The permissions to check, in order, for a request by `requester`: `selfnodeclient` first
    /// when a node asks for its own name, then `nodeclient`; none when it is no node client
    /// request at all (left for a human or another approver).
    package static func permissions(for subject: CertificateRequestSubject, usages: [String],
                                    requester: String) -> [Permission] {
        guard validationError(subject, usages: usages) == nil else { return [] }
        return requester == subject.commonName ? [.selfNodeClient, .nodeClient] : [.nodeClient]
    }
}
