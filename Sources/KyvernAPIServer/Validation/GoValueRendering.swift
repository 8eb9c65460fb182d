import KyvernAPI

/// Upstream prints a bad value that is a map, a slice or a struct with Go's `%#v`
/// (`map[string]string{"app":"x"}`, `[]string{"10.0.0.1"}`); these render the JSON forms the same way.
enum GoValueRendering {
    /// `map[string]string{"a":"b", "c":"d"}`; a missing map is Go's nil map.
    static func stringMap(_ value: JSONValue?) -> String {
        guard let object = value?.objectValue else { return "map[string]string(nil)" }
        let pairs = object.keys.sorted().map { "\(goQuote($0)):\(goQuote(object[$0]?.stringValue ?? ""))" }
        return "map[string]string{" + pairs.joined(separator: ", ") + "}"
    }

    /// `[]string{"a", "b"}`; a missing slice is Go's nil slice.
    static func stringSlice(_ value: JSONValue?) -> String {
        guard let array = value?.arrayValue else { return "[]string(nil)" }
        return "[]string{" + array.map { goQuote($0.stringValue ?? "") }.joined(separator: ", ") + "}"
    }

    /// A `metav1.LabelSelector` as `%#v` prints it.
    static func labelSelector(_ value: JSONValue?) -> String {
        guard let selector = value, selector.objectValue != nil else { return "null" }
        let expressions: String
        if let list = selector["matchExpressions"]?.arrayValue {
            expressions = "[]v1.LabelSelectorRequirement{" + list.map { e in
                "v1.LabelSelectorRequirement{Key:\(goQuote(e["key"]?.stringValue ?? "")), "
                    + "Operator:\(goQuote(e["operator"]?.stringValue ?? "")), Values:\(stringSlice(e["values"]))}"
            }.joined(separator: ", ") + "}"
        } else {
            expressions = "[]v1.LabelSelectorRequirement(nil)"
        }
        return "v1.LabelSelector{MatchLabels:\(stringMap(selector["matchLabels"])), MatchExpressions:\(expressions)}"
    }
}

extension GoValueRendering {
    /// `apps.<Kind>UpdateStrategy{Type:"X", RollingUpdate:...}` as `%#v` prints the internal type.
    static func updateStrategy(_ value: JSONValue, kind: String) -> String {
        let rollingType = kind == "StatefulSet" ? "RollingUpdateStatefulSetStrategy" : "RollingUpdate\(kind)"
        let rolling = value["rollingUpdate"] == nil ? "(*apps.\(rollingType))(nil)" : "&apps.\(rollingType){...}"
        return "apps.\(kind)UpdateStrategy{Type:\(goQuote(value["type"]?.stringValue ?? "")), RollingUpdate:\(rolling)}"
    }
}

extension GoValueRendering {
    /// `intstr.IntOrString{Type:1, IntVal:0, StrVal:"5x"}`: the struct has no value-receiver String method.
    static func intOrString(_ value: JSONValue) -> String {
        switch value {
        case .int(let i): return "intstr.IntOrString{Type:0, IntVal:\(i), StrVal:\"\"}"
        default: return "intstr.IntOrString{Type:1, IntVal:0, StrVal:\(goQuote(value.stringValue ?? ""))}"
        }
    }
}

extension APIError.Cause {
    /// `FieldValueInvalid` with a value already rendered as upstream prints it.
    static func invalid(_ field: String, rendered: String, _ detail: String) -> Self {
        Self(type: "FieldValueInvalid", message: "Invalid value: \(rendered): \(detail)", field: field)
    }

    /// `FieldValueNotFound`: `Not found: <value>`.
    static func notFound(_ field: String, _ value: JSONValue) -> Self {
        Self(type: "FieldValueNotFound", message: "Not found: \(renderBadValue(value))", field: field)
    }
}
