import KyvernAPI

extension ResourceHandler {
    static func isStorageAdmitted(_ info: ResourceInfo) -> Bool {
        info.group.isEmpty && (info.resource == "persistentvolumeclaims" || info.resource == "persistentvolumes")
    }

    /// The StorageClasses the server holds, from the watch cache.
    func storageClasses() async -> [JSONValue] {
        let bucket = StorageKeys.resourcePrefix(group: "storage.k8s.io", resource: "storageclasses")
        return await cache.list(bucket: bucket, keyPrefix: bucket).items.map(\.object)
    }

    /// Storage admission for a new claim or volume (see ``StorageAdmission``).
    func admitStorageCreate(_ object: inout JSONValue, info: ResourceInfo) async {
        guard Self.isStorageAdmitted(info) else { return }
        StorageAdmission.admitCreate(&object, resource: info.resource, classes: await storageClasses())
    }

    /// Storage admission for a changed claim: growth needs a class that allows expansion.
    func admitStorageUpdate(_ new: JSONValue, old: JSONValue, info: ResourceInfo) async throws {
        guard info.group.isEmpty, info.resource == "persistentvolumeclaims",
              VolumeMatching.requestedSize(new) > VolumeMatching.requestedSize(old) else { return }
        if let refusal = StorageAdmission.resizeRefusal(new: new, old: old, classes: await storageClasses()) {
            throw refusal
        }
    }
}
