package import KyvernClient

extension ResourceRef {
    package static let ingresses = ResourceRef(group: "networking.k8s.io", version: "v1", resource: "ingresses", namespaced: true)
    package static let ingressClasses = ResourceRef(group: "networking.k8s.io", version: "v1", resource: "ingressclasses",
                                                    namespaced: false)
}
