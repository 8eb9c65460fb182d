import KyvernAPI

/// One entry of `status.conditions`.
public struct DeploymentCondition: Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String
    public var message: String
    public var lastUpdateTime: String
    public var lastTransitionTime: String

    public init(type: String, status: String, reason: String, message: String, now: String) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastUpdateTime = now
        self.lastTransitionTime = now
    }

    init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue else { return nil }
        self.type = type
        status = json["status"]?.stringValue ?? ""
        reason = json["reason"]?.stringValue ?? ""
        message = json["message"]?.stringValue ?? ""
        lastUpdateTime = json["lastUpdateTime"]?.stringValue ?? ""
        lastTransitionTime = json["lastTransitionTime"]?.stringValue ?? ""
    }

    var json: JSONValue {
        var o: [String: JSONValue] = ["type": .string(type), "status": .string(status)]
        if !reason.isEmpty { o["reason"] = .string(reason) }
        if !message.isEmpty { o["message"] = .string(message) }
        if !lastUpdateTime.isEmpty { o["lastUpdateTime"] = .string(lastUpdateTime) }
        if !lastTransitionTime.isEmpty { o["lastTransitionTime"] = .string(lastTransitionTime) }
        return .object(o)
    }
}

/// A Deployment's `status`, compared field by field to decide whether it needs writing.
public struct DeploymentStatus: Sendable, Hashable {
    public var observedGeneration = 0
    public var replicas = 0
    public var updatedReplicas = 0
    public var readyReplicas = 0
    public var availableReplicas = 0
    public var unavailableReplicas = 0
    public var terminatingReplicas: Int?
    public var collisionCount: Int?
    public var conditions: [DeploymentCondition] = []

    public init() {}

    init(json: JSONValue?) {
        func int(_ key: String) -> Int { Int(json?[key]?.intValue ?? 0) }
        observedGeneration = int("observedGeneration")
        replicas = int("replicas")
        updatedReplicas = int("updatedReplicas")
        readyReplicas = int("readyReplicas")
        availableReplicas = int("availableReplicas")
        unavailableReplicas = int("unavailableReplicas")
        terminatingReplicas = json?["terminatingReplicas"]?.intValue.map { Int($0) }
        collisionCount = json?["collisionCount"]?.intValue.map { Int($0) }
        conditions = (json?["conditions"]?.arrayValue ?? []).compactMap(DeploymentCondition.init(json:))
    }

    /// The JSON form; zero counts are left out, as Go's `omitempty` writes them.
    var json: JSONValue {
        var o: [String: JSONValue] = [:]
        func put(_ key: String, _ value: Int) { if value != 0 { o[key] = .int(Int64(value)) } }
        put("observedGeneration", observedGeneration)
        put("replicas", replicas)
        put("updatedReplicas", updatedReplicas)
        put("readyReplicas", readyReplicas)
        put("availableReplicas", availableReplicas)
        put("unavailableReplicas", unavailableReplicas)
        if let terminatingReplicas { o["terminatingReplicas"] = .int(Int64(terminatingReplicas)) }
        if let collisionCount { o["collisionCount"] = .int(Int64(collisionCount)) }
        if !conditions.isEmpty { o["conditions"] = .array(conditions.map(\.json)) }
        return .object(o)
    }

    public func condition(_ type: String) -> DeploymentCondition? { conditions.first { $0.type == type } }

    /// Upstream's `SetDeploymentCondition`: no change when status and reason already match; the
    /// transition time survives when only the reason changes; the condition moves to the end.
    public mutating func setCondition(_ condition: DeploymentCondition) {
        var condition = condition
        if let current = self.condition(condition.type) {
            if current.status == condition.status && current.reason == condition.reason { return }
            if current.status == condition.status { condition.lastTransitionTime = current.lastTransitionTime }
        }
        conditions.removeAll { $0.type == condition.type }
        conditions.append(condition)
    }

    public mutating func removeCondition(_ type: String) {
        conditions.removeAll { $0.type == type }
    }
}
