import KyvernClient

extension ResourceRef {
    /// events.k8s.io/v1, which upstream's scheduler records through.
    static let schedulerEvents = ResourceRef(group: "events.k8s.io", version: "v1", resource: "events",
                                             namespaced: true)
    /// Core v1 ReplicationControllers, one of the controllers default spreading looks through.
    static let replicationControllers = ResourceRef(group: "", version: "v1", resource: "replicationcontrollers",
                                                    namespaced: true)
}
