import KyvernAPI

/// The PersistentVolumeClaims a StatefulSet's `volumeClaimTemplates` give each ordinal, and the owner
/// references `persistentVolumeClaimRetentionPolicy` asks for (upstream's `updateClaimOwnerRefForSetAndPod`).
///
/// Claims are never owned by default, so deleting a pod (or the set) keeps its data; `whenDeleted:
/// Delete` makes the set an owner (the garbage collector removes them with it) and `whenScaled: Delete`
/// makes a scaled-down pod the owner (they go with that pod).
enum StatefulSetClaims {
    static func templates(_ set: JSONValue) -> [JSONValue] {
        set[path: ["spec", "volumeClaimTemplates"]]?.arrayValue ?? []
    }

    /// `<claim>-<set>-<ordinal>`.
    static func claimName(template: JSONValue, set: JSONValue, ordinal: Int) -> String {
        "\(template.name ?? "")-\(set.name ?? "")-\(ordinal)"
    }

    /// The claims of ordinal `ordinal`, by template order: the template's metadata and spec, named for
    /// the ordinal and labelled with the set's `matchLabels`.
    static func claims(set: JSONValue, ordinal: Int) -> [JSONValue] {
        let selectorLabels = set[path: ["spec", "selector", "matchLabels"]]?.objectValue ?? [:]
        return templates(set).map { template in
            var metadata: [String: JSONValue] = [
                "name": .string(claimName(template: template, set: set, ordinal: ordinal)),
                "namespace": .string(set.namespace ?? ""),
            ]
            var labels = template[path: ["metadata", "labels"]]?.objectValue ?? [:]
            for (key, value) in selectorLabels { labels[key] = value }
            if !labels.isEmpty { metadata["labels"] = .object(labels) }
            if let annotations = template[path: ["metadata", "annotations"]], !annotations.isNull {
                metadata["annotations"] = annotations
            }
            return ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": .object(metadata),
                    "spec": template["spec"] ?? .object([:])]
        }
    }

    struct Policy: Sendable, Equatable {
        var deleteWhenDeleted: Bool
        var deleteWhenScaled: Bool

        init(_ set: JSONValue) {
            let policy = set[path: ["spec", "persistentVolumeClaimRetentionPolicy"]]
            deleteWhenDeleted = policy?["whenDeleted"]?.stringValue == "Delete"
            deleteWhenScaled = policy?["whenScaled"]?.stringValue == "Delete"
        }
    }

    /// The owner references `claim` should carry for `pod` of `set` under its retention policy: the
    /// claim's other references are kept; the set's and the pod's are added or removed.
    static func ownerReferences(claim: JSONValue, set: JSONValue, pod: JSONValue) -> [JSONValue] {
        let policy = Policy(set)
        let scaledDown = !(StatefulPodIdentity.ordinal(of: pod).map { StatefulPodIdentity.inRange($0, of: set) } ?? false)
        let wantSet = policy.deleteWhenDeleted && !(policy.deleteWhenScaled && scaledDown)
        let wantPod = policy.deleteWhenScaled && scaledDown && pod.uid != nil
        var refs = claim.ownerReferences.filter {
            let uid = $0["uid"]?.stringValue
            return uid != set.uid && (pod.uid == nil || uid != pod.uid)
        }
        if wantSet {
            refs.append(["apiVersion": "apps/v1", "kind": "StatefulSet", "name": .string(set.name ?? ""), "uid": .string(set.uid ?? "")])
        }
        if wantPod {
            refs.append(["apiVersion": "v1", "kind": "Pod", "name": .string(pod.name ?? ""), "uid": .string(pod.uid ?? "")])
        }
        return refs
    }

    /// Whether `claim`'s references already are what the policy asks (order aside).
    static func matchesPolicy(claim: JSONValue, set: JSONValue, pod: JSONValue) -> Bool {
        let want = ownerReferences(claim: claim, set: set, pod: pod).compactMap { $0["uid"]?.stringValue }
        let have = claim.ownerReferences.compactMap { $0["uid"]?.stringValue }
        return Set(want) == Set(have) && want.count == have.count
    }
}
