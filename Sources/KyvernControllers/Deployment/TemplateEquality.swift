public import KyvernAPI

/// Whether two pod templates describe the same pods, ignoring `pod-template-hash`.
///
/// The Deployment's template never carries the hash label while its ReplicaSets' templates do, so
/// finding "the new ReplicaSet" compares with that label removed (upstream's `EqualIgnoreHash`).
/// Upstream compares semantically, where a nil and an empty list or map are equal; `canonical`
/// drops nulls, empty lists and empty label/annotation maps so JSON that differs only in those agrees.
public enum TemplateEquality {
    public static func equalIgnoringHash(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        canonical(withoutHash(a ?? .null)) == canonical(withoutHash(b ?? .null))
    }

    /// `template` without the `pod-template-hash` label (and without `labels` if that empties it).
    public static func withoutHash(_ template: JSONValue) -> JSONValue {
        var copy = template
        guard var labels = copy[path: ["metadata", "labels"]]?.objectValue,
              labels.removeValue(forKey: DeploymentKeys.podTemplateHash) != nil else { return copy }
        copy[path: ["metadata", "labels"]] = labels.isEmpty ? nil : .object(labels)
        return copy
    }

    /// The template with "absent" spelled one way: no nulls, no empty lists, no empty label maps.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(members.count)
            for (key, member) in members {
                let c = canonical(member)
                switch c {
                case .null: continue
                case .array(let a) where a.isEmpty: continue
                case .object(let o) where o.isEmpty && (key == "labels" || key == "annotations"): continue
                default: result[key] = c
                }
            }
            return .object(result)
        case .array(let items):
            return .array(items.map(canonical))
        default:
            return value
        }
    }
}
