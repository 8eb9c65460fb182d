import KyvernAPI

/// The fields upstream refuses to change on update: selectors of controllers, most of a pod's
/// spec, frozen ConfigMaps and Secrets, a Secret's type, a Service's cluster IPs, a Job's template,
/// a StatefulSet's spec outside its updatable fields, a claim's spec outside its requests.
enum UpdateValidation {
    static let immutable = "field is immutable"
    static let immutableWhenSet = "field is immutable when `immutable` is set"

    static let podUpdatableFields = [
        "`spec.containers[*].image`", "`spec.initContainers[*].image`", "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    ]

    static let statefulSetMessage = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"

    static func validate(_ new: JSONValue, old: JSONValue, info: ResourceInfo) -> [APIError.Cause] {
        switch (info.group, info.resource) {
        case ("apps", "deployments"), ("apps", "replicasets"), ("apps", "daemonsets"):
            return selectorImmutable(new, old)
        case ("apps", "statefulsets"):
            var newSpec = new["spec"]?.objectValue ?? [:]
            var oldSpec = old["spec"]?.objectValue ?? [:]
            for key in ["replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
                        "persistentVolumeClaimRetentionPolicy", "minReadySeconds"] {
                newSpec[key] = nil
                oldSpec[key] = nil
            }
            return newSpec == oldSpec ? [] : [.forbidden("spec", statefulSetMessage)]
        case ("batch", "jobs"):
            var causes: [APIError.Cause] = []
            if new[path: ["spec", "selector"]] != old[path: ["spec", "selector"]] {
                causes.append(.invalid("spec.selector", rendered: GoValueRendering.labelSelector(new[path: ["spec", "selector"]]), immutable))
            }
            if new[path: ["spec", "template"]] != old[path: ["spec", "template"]] {
                causes.append(.invalid("spec.template", new[path: ["spec", "template"]] ?? .null, immutable))
            }
            if new[path: ["spec", "completions"]] != old[path: ["spec", "completions"]] {
                causes.append(.invalid("spec.completions", new[path: ["spec", "completions"]] ?? .null, immutable))
            }
            return causes
        case ("", "pods"):
            return podSpec(new, old)
        case ("", "configmaps"):
            return frozen(new, old, fields: ["data", "binaryData"])
        case ("", "secrets"):
            var causes: [APIError.Cause] = []
            let newType = new["type"]?.stringValue ?? "Opaque", oldType = old["type"]?.stringValue ?? "Opaque"
            if newType != oldType { causes.append(.invalid("type", .string(newType), immutable)) }
            return causes + frozen(new, old, fields: ["data"])
        case ("", "services"):
            return clusterIPs(new, old)
        case ("", "persistentvolumeclaims"):
            return claimSpec(new, old)
        default:
            return []
        }
    }

    static func selectorImmutable(_ new: JSONValue, _ old: JSONValue) -> [APIError.Cause] {
        let selector = new[path: ["spec", "selector"]]
        guard selector != old[path: ["spec", "selector"]] else { return [] }
        return [.invalid("spec.selector", rendered: GoValueRendering.labelSelector(selector), immutable)]
    }

    /// `immutable: true` freezes the contents and the flag itself.
    static func frozen(_ new: JSONValue, _ old: JSONValue, fields: [String]) -> [APIError.Cause] {
        guard old["immutable"]?.boolValue == true else { return [] }
        var causes: [APIError.Cause] = []
        if new["immutable"]?.boolValue != true {
            causes.append(.forbidden("immutable", immutableWhenSet))
        }
        for field in fields where (new[field]?.objectValue ?? [:]) != (old[field]?.objectValue ?? [:]) {
            causes.append(.forbidden(field, immutableWhenSet))
        }
        return causes
    }

    /// Only images, the active deadline, added tolerations and a negative grace period set to 1 may change.
    static func podSpec(_ new: JSONValue, _ old: JSONValue) -> [APIError.Cause] {
        guard var newSpec = new["spec"], var oldSpec = old["spec"] else { return [] }
        for list in ["containers", "initContainers"] {
            guard let newItems = newSpec[list]?.arrayValue, let oldItems = oldSpec[list]?.arrayValue,
                  newItems.count == oldItems.count else { continue }
            var munged = newItems
            for i in munged.indices {
                munged[i]["image"] = oldItems[i]["image"]
            }
            newSpec[list] = .array(munged)
        }
        // Setting the deadline, or lowering it, is allowed; removing or raising it is not.
        let newDeadline = newSpec["activeDeadlineSeconds"]?.intValue, oldDeadline = oldSpec["activeDeadlineSeconds"]?.intValue
        if let newDeadline, newDeadline > 0, oldDeadline == nil || newDeadline <= oldDeadline! {
            newSpec["activeDeadlineSeconds"] = oldSpec["activeDeadlineSeconds"]
        }
        if let newList = newSpec["tolerations"]?.arrayValue {
            let oldList = oldSpec["tolerations"]?.arrayValue ?? []
            if oldList.allSatisfy(newList.contains) { newSpec["tolerations"] = oldSpec["tolerations"] }
        }
        if let oldGrace = oldSpec["terminationGracePeriodSeconds"]?.intValue, oldGrace < 0,
           newSpec["terminationGracePeriodSeconds"]?.intValue == 1 {
            newSpec["terminationGracePeriodSeconds"] = oldSpec["terminationGracePeriodSeconds"]
        }
        // The scheduler binds through the binding subresource; gates may only be removed.
        if let gates = newSpec["schedulingGates"]?.arrayValue, let oldGates = oldSpec["schedulingGates"]?.arrayValue,
           gates.allSatisfy(oldGates.contains) {
            newSpec["schedulingGates"] = oldSpec["schedulingGates"]
        }
        if newSpec["schedulingGates"] == nil, oldSpec["schedulingGates"] != nil { oldSpec["schedulingGates"] = nil }
        guard newSpec != oldSpec else { return [] }
        let diff = JSONDiff.lines(old: oldSpec, new: newSpec)
        return [.forbidden("spec", "pod updates may not change fields other than "
                           + podUpdatableFields.joined(separator: ",") + "\n" + diff)]
    }

    /// The primary cluster IP may not change once allocated; an empty one on update keeps the old.
    static func clusterIPs(_ new: JSONValue, _ old: JSONValue) -> [APIError.Cause] {
        let newType = new[path: ["spec", "type"]]?.stringValue, oldType = old[path: ["spec", "type"]]?.stringValue
        if newType == "ExternalName" || oldType == "ExternalName" { return [] }
        func ips(_ object: JSONValue) -> [String] {
            let list = (object[path: ["spec", "clusterIPs"]]?.arrayValue ?? []).compactMap(\.stringValue)
            if !list.isEmpty { return list }
            let single = object[path: ["spec", "clusterIP"]]?.stringValue ?? ""
            return single.isEmpty ? [] : [single]
        }
        let newIPs = ips(new), oldIPs = ips(old)
        guard !newIPs.isEmpty, !oldIPs.isEmpty, !(newIPs[0] == "None" && oldIPs[0] == "None") else { return [] }
        var causes: [APIError.Cause] = []
        for (i, ip) in oldIPs.enumerated() where i < newIPs.count && newIPs[i] != ip {
            causes.append(.invalid("spec.clusterIPs[\(i)]", rendered: GoValueRendering.stringSlice(.array(newIPs.map { .string($0) })),
                                   "may not change once set"))
        }
        return causes
    }

    /// A claim's spec is fixed, but a bound claim's storage request may change (grow, or shrink no lower
    /// than its recorded capacity, to recover from a failed expansion) and a volume may be bound once.
    static func claimSpec(_ new: JSONValue, _ old: JSONValue) -> [APIError.Cause] {
        guard var newSpec = new["spec"], var oldSpec = old["spec"] else { return [] }
        func storage(_ value: JSONValue?) -> Quantity {
            value?.stringValue.flatMap { try? Quantity(parsing: $0) } ?? Quantity(0)
        }
        var causes: [APIError.Cause] = []
        if (oldSpec["volumeName"]?.stringValue ?? "").isEmpty { oldSpec["volumeName"] = newSpec["volumeName"] }
        if new[path: ["status", "phase"]]?.stringValue == "Bound", newSpec[path: ["resources", "requests"]] != nil {
            newSpec[path: ["resources", "requests", "storage"]] = oldSpec[path: ["resources", "requests", "storage"]]
        }
        newSpec["volumeAttributesClassName"] = oldSpec["volumeAttributesClassName"]
        if newSpec != oldSpec {
            causes.append(.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
                                     + JSONDiff.lines(old: oldSpec, new: newSpec)))
        }
        let newSize = storage(new[path: ["spec", "resources", "requests", "storage"]])
        let oldSize = storage(old[path: ["spec", "resources", "requests", "storage"]])
        let capacity = storage(old[path: ["status", "capacity", "storage"]])
        if newSize < oldSize, newSize <= capacity {
            causes.append(.forbidden("spec.resources.requests.storage", "field can not be less than status.capacity"))
        }
        return causes
    }
}
