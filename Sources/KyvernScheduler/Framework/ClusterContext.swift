public import KyvernAPI

/// Cluster objects besides nodes and pods that some plugins consult, filled by the caller from
/// its informers. Every field may stay empty: plugins then act as if the objects did not exist.
public struct ClusterContext: Sendable {
    /// Namespace labels by namespace name, for affinity terms with a `namespaceSelector`.
    public var namespaceLabels: [String: [String: String]] = [:]
    /// The `spec.selector` of each Service, by namespace: pods a Service selects get the default
    /// topology spread constraints.
    public var serviceSelectors: [String: [[String: String]]] = [:]
    /// The selector of each ReplicaSet, StatefulSet and ReplicationController, keyed by
    /// ``ClusterContext/controllerKey(kind:namespace:name:)``; looked up through a pod's
    /// controller ownerReference.
    public var controllerSelectors: [String: LabelSelector] = [:]
    /// PodDisruptionBudgets (objects as stored) that preemption tries not to violate.
    public var podDisruptionBudgets: [JSONValue] = []
    /// Claims, volumes and storage classes, for VolumeBinding.
    public var storage = StorageObjects()

    public init(namespaceLabels: [String: [String: String]] = [:],
                serviceSelectors: [String: [[String: String]]] = [:],
                controllerSelectors: [String: LabelSelector] = [:],
                podDisruptionBudgets: [JSONValue] = [], storage: StorageObjects = StorageObjects()) {
        self.namespaceLabels = namespaceLabels
        self.serviceSelectors = serviceSelectors
        self.controllerSelectors = controllerSelectors
        self.podDisruptionBudgets = podDisruptionBudgets
        self.storage = storage
    }

    public static func controllerKey(kind: String, namespace: String, name: String) -> String {
        kind + "/" + namespace + "/" + name
    }
}
