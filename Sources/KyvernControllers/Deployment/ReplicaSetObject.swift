public import KyvernAPI

/// A ReplicaSet held as JSON, with typed access to the fields the deployment controller reads and
/// writes. Everything else in the object is kept untouched, so an update sends back what was read.
public struct ReplicaSetObject: Sendable, Hashable {
    public var object: JSONValue

    public init(_ object: JSONValue) { self.object = object }

    public var name: String { object.name ?? "" }
    public var namespace: String { object.namespace ?? "" }
    public var uid: String { object.uid ?? "" }
    var creationMicros: Int64 { object.creationTimestamp.flatMap(Timestamp.parseMicroseconds) ?? 0 }
    var isBeingDeleted: Bool { object.deletionTimestamp != nil }
    var generation: Int { Int(object.generation ?? 0) }

    /// `spec.replicas` (the server defaults it to 1).
    public var replicas: Int {
        get { Int(object[path: ["spec", "replicas"]]?.intValue ?? 1) }
        set { object[path: ["spec", "replicas"]] = .int(Int64(newValue)) }
    }

    public var template: JSONValue? { object[path: ["spec", "template"]] }

    public var annotations: [String: String] {
        get { object.annotations }
        set { object.annotations = newValue }
    }

    var statusReplicas: Int { statusInt("replicas") }
    var readyReplicas: Int { statusInt("readyReplicas") }
    var availableReplicas: Int { statusInt("availableReplicas") }
    var observedGeneration: Int { statusInt("observedGeneration") }
    /// nil unless the ReplicaSet controller reports terminating pods at all.
    var terminatingReplicas: Int? { object[path: ["status", "terminatingReplicas"]]?.intValue.map { Int($0) } }
    var conditions: [JSONValue] { object[path: ["status", "conditions"]]?.arrayValue ?? [] }

    /// The uid of the owner reference marked `controller: true`.
    var controllerUID: String? {
        object.ownerReferences.first { $0["controller"]?.boolValue == true }?["uid"]?.stringValue
    }

    /// `deployment.kubernetes.io/revision` as a number; nil when absent or not a number.
    var revision: Int64? { annotations[DeploymentKeys.revision].flatMap { Int64($0) } }

    private func statusInt(_ key: String) -> Int { Int(object[path: ["status", key]]?.intValue ?? 0) }
}

/// The orderings upstream sorts ReplicaSets by; each breaks ties by name so results are deterministic.
enum ReplicaSetOrder {
    /// Oldest first.
    static func byCreation(_ a: ReplicaSetObject, _ b: ReplicaSetObject) -> Bool {
        a.creationMicros == b.creationMicros ? a.name < b.name : a.creationMicros < b.creationMicros
    }

    /// Largest first; among equal sizes, older first (used when scaling down).
    static func bySizeOlder(_ a: ReplicaSetObject, _ b: ReplicaSetObject) -> Bool {
        a.replicas == b.replicas ? byCreation(a, b) : a.replicas > b.replicas
    }

    /// Largest first; among equal sizes, newer first (used when scaling up).
    static func bySizeNewer(_ a: ReplicaSetObject, _ b: ReplicaSetObject) -> Bool {
        a.replicas == b.replicas ? byCreation(b, a) : a.replicas > b.replicas
    }

    /// Lowest revision first (unparseable revisions count as 0), then oldest.
    static func byRevision(_ a: ReplicaSetObject, _ b: ReplicaSetObject) -> Bool {
        let ra = a.revision ?? 0, rb = b.revision ?? 0
        return ra == rb ? byCreation(a, b) : ra < rb
    }
}

extension Sequence<ReplicaSetObject> {
    /// Those with `spec.replicas > 0` (upstream's `FilterActiveReplicaSets`).
    var active: [ReplicaSetObject] { filter { $0.replicas > 0 } }
    var totalReplicas: Int { reduce(0) { $0 + $1.replicas } }
    var totalStatusReplicas: Int { reduce(0) { $0 + $1.statusReplicas } }
    var totalReadyReplicas: Int { reduce(0) { $0 + $1.readyReplicas } }
    var totalAvailableReplicas: Int { reduce(0) { $0 + $1.availableReplicas } }
}
