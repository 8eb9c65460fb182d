package import KyvernClient

extension ResourceRef {
    /// networking.k8s.io/v1 NetworkPolicies, which the policy controller watches.
    package static let networkPolicies = ResourceRef(group: "networking.k8s.io", version: "v1",
                                                     resource: "networkpolicies", namespaced: true)
}
