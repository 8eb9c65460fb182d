import KyvernClient

extension ResourceRef {
    /// events.k8s.io/v1, which upstream's scheduler records through.
    static let schedulerEvents = ResourceRef(group: "events.k8s.io", version: "v1", resource: "events",
                                             namespaced: true)
}
