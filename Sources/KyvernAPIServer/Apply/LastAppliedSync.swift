import KyvernAPI

/// Keeps kubectl's client-side apply annotation in step with server-side applies by `kubectl`, as
/// upstream's last-applied updater does, so that a later client-side apply computes its patch from
/// what was applied last rather than from a stale configuration.
enum LastAppliedSync {
    static let annotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// Sets the annotation of `object` (when it has one) to `config` without the annotation itself,
    /// as Go's `json.Encoder` writes a map: keys sorted, compact, a final newline.
    static func sync(_ object: inout JSONValue, applied config: JSONValue, manager: String) {
        guard manager == "kubectl", object[path: ["metadata", "annotations", annotation]] != nil else { return }
        var last = config
        if case .object(var annotations)? = last[path: ["metadata", "annotations"]] {
            annotations[annotation] = nil
            last[path: ["metadata", "annotations"]] = .object(annotations)
        }
        // Written as Go's json.Encoder writes it, newline included.
        object[path: ["metadata", "annotations", annotation]] = .string(sortedJSON(last) + "\n")
    }

    /// The fields the live object's last-applied annotation sets to the values the object still has
    /// (upstream's `allowedConflictsFromLastApplied`); nil without a usable annotation.
    static func unchangedFields(of live: JSONValue?, manager: FieldManager) -> FieldSet? {
        guard let text = live?[path: ["metadata", "annotations", annotation]]?.stringValue, !text.isEmpty,
              let live, let last = try? JSONValue.parse(Array(text.utf8)), case .object = last,
              last["apiVersion"]?.stringValue == manager.apiVersion else { return nil }
        let fields = FieldSetExtraction(shapes: manager.shapes).fieldSet(of: last, type: manager.type)
        let comparison = ObjectComparison(old: last, new: live, type: manager.type, shapes: manager.shapes)
        return fields.subtracting(comparison.modified).subtracting(comparison.added).subtracting(comparison.removed)
    }

    static func sortedJSON(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                write(object[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            value.serialize(into: &out)
        }
    }
}
