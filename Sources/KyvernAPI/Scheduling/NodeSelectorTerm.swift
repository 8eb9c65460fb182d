/// A node selector term (`matchExpressions` ANDed with `matchFields`), matched as upstream:
/// a term with neither matches no node, and an expression it cannot evaluate never matches.
/// Shared by the scheduler's node affinity and the volume binder's PersistentVolume node affinity.
public struct NodeSelectorTerm: Sendable, Hashable {
    public struct Requirement: Sendable, Hashable {
        public var key: String
        public var op: String
        public var values: [String]

        public init(json: JSONValue) {
            key = json["key"]?.stringValue ?? ""
            op = json["operator"]?.stringValue ?? ""
            values = (json["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        }

        /// `Gt`/`Lt` compare integers: both the label and the single value must parse.
        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch op {
            case "In": return value.map(values.contains) ?? false
            case "NotIn": return value.map { !values.contains($0) } ?? true
            case "Exists": return value != nil
            case "DoesNotExist": return value == nil
            case "Gt", "Lt":
                guard values.count == 1, let bound = Int64(values[0]),
                      let actual = value.flatMap({ Int64($0) }) else { return false }
                return op == "Gt" ? actual > bound : actual < bound
            default: return false
            }
        }
    }

    public var expressions: [Requirement]
    public var fields: [Requirement]

    public init(json: JSONValue) {
        expressions = (json["matchExpressions"]?.arrayValue ?? []).map(Requirement.init(json:))
        fields = (json["matchFields"]?.arrayValue ?? []).map(Requirement.init(json:))
    }

    /// Whether the node named `name` with `labels` satisfies the term.
    public func matches(name: String, labels: [String: String]) -> Bool {
        if expressions.isEmpty && fields.isEmpty { return false }
        // Only metadata.name is a supported field, and only with In/NotIn.
        let nodeFields = ["metadata.name": name]
        for field in fields {
            guard field.key == "metadata.name", field.op == "In" || field.op == "NotIn",
                  field.matches(nodeFields) else { return false }
        }
        return expressions.allSatisfy { $0.matches(labels) }
    }
}

/// A required node selector (`nodeSelectorTerms`, ORed), as pod and PersistentVolume node affinity carry it.
public struct RequiredNodeSelector: Sendable, Hashable {
    public var terms: [NodeSelectorTerm]

    public init(json: JSONValue) {
        terms = (json["nodeSelectorTerms"]?.arrayValue ?? []).map(NodeSelectorTerm.init(json:))
    }

    /// Upstream: a selector without terms matches no node.
    public func matches(name: String, labels: [String: String]) -> Bool {
        terms.contains { $0.matches(name: name, labels: labels) }
    }
}
