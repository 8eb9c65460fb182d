import KyvernAPI

/// Whether a pod's `nodeSelector` and required node affinity admit a node (upstream's
/// `RequiredNodeAffinity.Match`): the selector's labels must all match, and one of the
/// affinity's terms must (expressions on labels, `metadata.name` the only field).
enum NodeSelection {
    static func admits(podSpec spec: JSONValue?, node: JSONValue) -> Bool {
        let labels = node.labels
        for (key, value) in spec?["nodeSelector"]?.objectValue ?? [:] where labels[key] != value.stringValue {
            return false
        }
        guard let required = spec?[path: ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]],
              !required.isNull else { return true }
        let terms = required["nodeSelectorTerms"]?.arrayValue ?? []
        return terms.contains { termMatches($0, labels: labels, name: node.name ?? "") }
    }

    /// A term with neither expressions nor fields matches nothing.
    static func termMatches(_ term: JSONValue, labels: [String: String], name: String) -> Bool {
        let expressions = term["matchExpressions"]?.arrayValue ?? []
        let fields = term["matchFields"]?.arrayValue ?? []
        if expressions.isEmpty && fields.isEmpty { return false }
        for field in fields {
            guard field["key"]?.stringValue == "metadata.name",
                  requirementMatches(field, value: name) else { return false }
        }
        return expressions.allSatisfy { requirementMatches($0, value: labels[$0["key"]?.stringValue ?? ""]) }
    }

    /// One requirement against the value it names (nil: absent). `Gt`/`Lt` need integers on both sides.
    static func requirementMatches(_ requirement: JSONValue, value: String?) -> Bool {
        let values = (requirement["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        switch requirement["operator"]?.stringValue ?? "" {
        case "In": return value.map(values.contains) ?? false
        case "NotIn": return value.map { !values.contains($0) } ?? true
        case "Exists": return value != nil
        case "DoesNotExist": return value == nil
        case let op where op == "Gt" || op == "Lt":
            guard values.count == 1, let bound = Int64(values[0]), let actual = value.flatMap({ Int64($0) }) else { return false }
            return op == "Gt" ? actual > bound : actual < bound
        default: return false
        }
    }
}
