public import KyvernAPI

/// A Deployment held as JSON, with typed access to its spec and status.
///
/// The server has defaulted every object the controller reads (replicas 1, RollingUpdate 25%/25%,
/// revisionHistoryLimit 10, progressDeadlineSeconds 600); the fallbacks here only matter for
/// hand-built objects in tests.
public struct DeploymentObject: Sendable, Hashable {
    public var object: JSONValue

    public init(_ object: JSONValue) { self.object = object }

    public var name: String { object.name ?? "" }
    public var namespace: String { object.namespace ?? "" }
    public var uid: String { object.uid ?? "" }
    var generation: Int { Int(object.generation ?? 0) }
    var isBeingDeleted: Bool { object.deletionTimestamp != nil }

    public var replicas: Int { Int(object[path: ["spec", "replicas"]]?.intValue ?? 1) }
    var selector: JSONValue? { object[path: ["spec", "selector"]] }
    public var template: JSONValue { object[path: ["spec", "template"]] ?? [:] }
    var minReadySeconds: Int { Int(object[path: ["spec", "minReadySeconds"]]?.intValue ?? 0) }
    var paused: Bool { object[path: ["spec", "paused"]]?.boolValue ?? false }
    var revisionHistoryLimit: Int? { object[path: ["spec", "revisionHistoryLimit"]]?.intValue.map { Int($0) } }
    var progressDeadlineSeconds: Int? { object[path: ["spec", "progressDeadlineSeconds"]]?.intValue.map { Int($0) } }

    var strategyType: String { object[path: ["spec", "strategy", "type"]]?.stringValue ?? "RollingUpdate" }
    var isRollingUpdate: Bool { strategyType == "RollingUpdate" }
    var isRecreate: Bool { strategyType == "Recreate" }

    var hasProgressDeadline: Bool {
        guard let seconds = progressDeadlineSeconds else { return false }
        return seconds != DeploymentKeys.noProgressDeadline
    }

    /// How many pods above `replicas` a rolling update may run (0 for Recreate).
    var maxSurge: Int {
        guard isRollingUpdate else { return 0 }
        return fenceposts.surge
    }

    /// How many of `replicas` may be unavailable during a rolling update (0 for Recreate or 0 replicas).
    var maxUnavailable: Int {
        guard isRollingUpdate, replicas != 0 else { return 0 }
        return min(fenceposts.unavailable, replicas)
    }

    private var fenceposts: (surge: Int, unavailable: Int) {
        RolloutBounds.resolve(maxSurge: object[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]],
                              maxUnavailable: object[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]],
                              desired: replicas)
    }

    public var annotations: [String: String] {
        get { object.annotations }
        set { object.annotations = newValue }
    }

    public var status: DeploymentStatus {
        get { DeploymentStatus(json: object["status"]) }
        set { object["status"] = newValue.json }
    }
}
