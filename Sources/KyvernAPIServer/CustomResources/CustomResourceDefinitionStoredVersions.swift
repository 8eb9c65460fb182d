import KyvernAPI

/// `status.storedVersions` as upstream's CRD strategy keeps it: every version that has ever been the
/// storage version, in order. A create starts it, and an update that moves `storage` appends the
/// new version before validation, so objects still stored at the old one stay readable until a
/// migration removes it.
enum CustomResourceDefinitionStoredVersions {
    static func applies(to info: ResourceInfo) -> Bool {
        info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions"
    }

    /// Appends the spec's storage version to `status.storedVersions` when it is not there yet.
    static func record(_ crd: inout JSONValue) {
        guard let storage = (crd[path: ["spec", "versions"]]?.arrayValue ?? [])
            .first(where: { $0["storage"]?.boolValue == true })?["name"]?.stringValue else { return }
        var stored = crd[path: ["status", "storedVersions"]]?.arrayValue ?? []
        guard !stored.contains(.string(storage)) else { return }
        stored.append(.string(storage))
        if crd["status"]?.objectValue == nil { crd["status"] = [:] }
        crd[path: ["status", "storedVersions"]] = .array(stored)
    }
}
