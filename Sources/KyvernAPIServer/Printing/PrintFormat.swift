import KyvernAPI

/// The small formatting rules upstream's printers share: label maps and selectors, container
/// lists, int-or-string values, access modes, quantities, optional booleans.
enum PrintFormat {
    /// `labels.FormatLabels`: `k=v` pairs sorted by key, "<none>" when empty.
    static func labels(_ map: JSONValue?) -> String {
        guard let map = map?.objectValue, !map.isEmpty else { return "<none>" }
        return map.keys.sorted().map { "\($0)=\(map[$0]?.stringValue ?? "")" }.joined(separator: ",")
    }

    /// `metav1.FormatLabelSelector`: requirements sorted by key, "<none>" for a missing or empty selector.
    static func selector(_ selector: JSONValue?) -> String {
        let text = selectorRequirements(selector)
        return text.isEmpty ? "<none>" : text
    }

    /// A label selector's requirements as text (`app=web,tier in (a,b)`), empty when it has none;
    /// "<error>" for an unknown operator.
    static func selectorRequirements(_ selector: JSONValue?) -> String {
        guard let selector = selector?.objectValue else { return "" }
        var requirements: [(key: String, text: String)] = []
        if let labels = selector["matchLabels"]?.objectValue {
            for (key, value) in labels { requirements.append((key, "\(key)=\(value.stringValue ?? "")")) }
        }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression.text("key")
            let values = expression.list("values").compactMap(\.stringValue).sorted()
            let text: String
            switch expression.text("operator") {
            case "In": text = "\(key) in (\(values.joined(separator: ",")))"
            case "NotIn": text = "\(key) notin (\(values.joined(separator: ",")))"
            case "Exists": text = key
            case "DoesNotExist": text = "!\(key)"
            default: return "<error>"
            }
            requirements.append((key, text))
        }
        return requirements.sorted { $0.key < $1.key }.map(\.text).joined(separator: ",")
    }

    /// Container names and images of a pod spec, each comma-joined (`layoutContainerCells`).
    static func containers(_ podSpec: JSONValue?) -> (names: String, images: String) {
        let containers = podSpec?["containers"]?.arrayValue ?? []
        return (containers.map { $0.text("name") }.joined(separator: ","),
                containers.map { $0.text("image") }.joined(separator: ","))
    }

    /// An `IntOrString` as text.
    static func intOrString(_ value: JSONValue?) -> String {
        switch value {
        case .int(let i)?: return String(i)
        case .string(let s)?: return s
        case .double(let d)?: return String(Int64(d))
        default: return ""
        }
    }

    /// A resource quantity as stored; the zero quantity prints "0".
    static func quantity(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return String(d)
        default: return "0"
        }
    }

    /// Access modes abbreviated in upstream's fixed order (`GetAccessModesAsString`).
    static func accessModes(_ modes: [JSONValue]) -> String {
        let present = Set(modes.compactMap(\.stringValue))
        return [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")]
            .filter { present.contains($0.0) }.map(\.1).joined(separator: ",")
    }

    /// `printBoolPtr`: "True"/"False", "<unset>" when absent.
    static func boolWord(_ value: JSONValue?) -> String {
        guard let b = value?.boolValue else { return "<unset>" }
        return b ? "True" : "False"
    }

    /// A list cut to `max` entries with " + N more..." (`listWithMoreString`), "<unset>" when empty.
    static func listWithMore(_ items: [String], max: Int) -> String {
        let shown = items.prefix(max).joined(separator: ",")
        if items.count > max { return "\(shown) + \(items.count - max) more..." }
        return shown.isEmpty ? "<unset>" : shown
    }

    /// `net.JoinHostPort`: IPv6 addresses in brackets.
    static func hostPort(_ host: String, _ port: Int64) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The first of `values` that is not empty ("" if none).
    static func firstNonEmpty(_ values: String?...) -> String {
        values.first { $0?.isEmpty == false }.flatMap { $0 } ?? ""
    }

    /// Go's `strings.TrimSpace` for the ASCII whitespace messages carry.
    static func trimSpace(_ text: String) -> String {
        let space: Set<Character> = [" ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}"]
        guard let start = text.firstIndex(where: { !space.contains($0) }),
              let end = text.lastIndex(where: { !space.contains($0) }) else { return "" }
        return String(text[start...end])
    }

    /// The condition of `type` in a status's conditions, if any.
    static func condition(_ conditions: [JSONValue], _ type: String) -> JSONValue? {
        conditions.first { $0.text("type") == type }
    }

    /// Whether the first condition of `type` is True (upstream reads the first one only).
    static func conditionIsTrue(_ conditions: [JSONValue], _ type: String) -> Bool {
        condition(conditions, type)?.text("status") == "True"
    }
}
