/// A node taint.
public struct Taint: Sendable, Hashable {
    public var key: String
    public var value: String
    public var effect: String

    public init(key: String, value: String = "", effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    public init(json: JSONValue) {
        key = json["key"]?.stringValue ?? ""
        value = json["value"]?.stringValue ?? ""
        effect = json["effect"]?.stringValue ?? ""
    }
}

/// A pod toleration, matched as upstream's `Toleration.ToleratesTaint`. Shared by the scheduler
/// (filtering and scoring) and the API server's DefaultTolerationSeconds admission step.
public struct Toleration: Sendable, Hashable {
    public var key: String
    public var op: String
    public var value: String
    public var effect: String

    public init(key: String = "", op: String = "Equal", value: String = "", effect: String = "") {
        self.key = key
        self.op = op
        self.value = value
        self.effect = effect
    }

    public init(json: JSONValue) {
        key = json["key"]?.stringValue ?? ""
        op = json["operator"]?.stringValue ?? "Equal"
        value = json["value"]?.stringValue ?? ""
        effect = json["effect"]?.stringValue ?? ""
    }

    public static func of(pod: JSONValue) -> [Toleration] {
        (pod[path: ["spec", "tolerations"]]?.arrayValue ?? []).map(Toleration.init(json:))
    }

    /// Key and effect only: an empty effect matches every effect, an empty key every key. This is
    /// all the DefaultTolerationSeconds admission plugin looks at.
    public func matchesKeyAndEffect(of taint: Taint) -> Bool {
        (effect.isEmpty || effect == taint.effect) && (key.isEmpty || key == taint.key)
    }

    /// Key, effect and value: `Exists` tolerates any value, `Equal` (or no operator) only its own.
    public func tolerates(_ taint: Taint) -> Bool {
        guard matchesKeyAndEffect(of: taint) else { return false }
        switch op {
        case "Exists": return true
        case "Equal", "": return value == taint.value
        default: return false
        }
    }
}

extension Array where Element == Toleration {
    public func tolerate(_ taint: Taint) -> Bool { contains { $0.tolerates(taint) } }
}
