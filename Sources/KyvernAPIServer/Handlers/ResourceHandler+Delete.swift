import Foundation
import KyvernAPI
import KyvernStore

extension ResourceHandler {
    // MARK: delete

    func delete(_ request: ResourceRequest, name: String) async throws -> Reply {
        let info = request.info
        let options = try DeleteOptions(request)
        if info.group.isEmpty && info.resource == "namespaces" {
            return try await deleteNamespace(request, name: name, options: options)
        }
        let key = key(request, name: name)
        if options.dryRun {
            guard let current = try await storage.read(key: key) else {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            }
            try options.check(current.object, info: info, name: name)
            return .bytes(current.bytes)
        }
        // Objects with finalizers are only marked; they go when the last finalizer is removed.
        var pending = false
        let (marked, _) = try await storage.update(info, key: key, name: name) { current in
            try options.check(current, info: info, name: name)
            guard !(current[path: ["metadata", "finalizers"]]?.arrayValue ?? []).isEmpty else { return current }
            pending = true
            var updated = current
            if updated[path: ["metadata", "deletionTimestamp"]] == nil {
                updated[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(Date()))
                updated[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
            }
            return updated
        }
        if pending { return .bytes(marked.bytes) }
        let (deleted, _) = try await storage.delete(info, key: key, name: name) { current in
            try options.check(current, info: info, name: name)
        }
        return .object(Self.successStatus(info: info, object: deleted.object))
    }

    static func successStatus(info: ResourceInfo, object: JSONValue) -> JSONValue {
        [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success",
            "details": [
                "name": object[path: ["metadata", "name"]] ?? "",
                "group": .string(info.group),
                "kind": .string(info.resource),
                "uid": object[path: ["metadata", "uid"]] ?? "",
            ],
        ]
    }

    /// Deleting a namespace deletes everything in it, then the namespace.
    func deleteNamespace(_ request: ResourceRequest, name: String, options: DeleteOptions) async throws -> Reply {
        let info = request.info
        let key = StorageKeys.key(info, namespace: nil, name: name)
        guard let current = try await storage.read(key: key) else {
            throw APIError.notFound(group: "", resource: "namespaces", name: name)
        }
        try options.check(current.object, info: info, name: name)
        if options.dryRun { return .bytes(current.bytes) }
        _ = try await storage.update(info, key: key, name: name) { current in
            var updated = current
            if updated[path: ["metadata", "deletionTimestamp"]] == nil {
                updated[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(Date()))
            }
            updated[path: ["status", "phase"]] = "Terminating"
            return updated
        }
        try await storage.syncCache()
        for resource in ResourceCatalog.all where resource.namespaced {
            let prefix = StorageKeys.prefix(resource, namespace: name)
            let bucket = StorageKeys.resourcePrefix(group: resource.group, resource: resource.resource)
            for object in await cache.list(bucket: bucket, keyPrefix: prefix).items {
                _ = try? await storage.store.delete(key: object.key, expectedRevision: nil)
            }
        }
        let (deleted, _) = try await storage.delete(info, key: key, name: name) { _ in }
        return .bytes(deleted.bytes)
    }

    func deleteCollection(_ request: ResourceRequest) async throws -> Reply {
        let info = request.info
        let options = try ListOptions(request.query)
        let deleteOptions = try DeleteOptions(request)
        let filter = try ObjectFilter(options: options, strategy: KindStrategy(info: info))
        try await storage.syncCache()
        let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
        let prefix = StorageKeys.prefix(info, namespace: request.namespace)
        var deleted: [[UInt8]] = []
        var revision = await cache.revision
        for object in await cache.list(bucket: bucket, keyPrefix: prefix).items where filter.matches(object.object) {
            if deleteOptions.dryRun {
                deleted.append(object.bytes)
                continue
            }
            let name = object.object[path: ["metadata", "name"]]?.stringValue ?? ""
            do {
                let (gone, rev) = try await storage.delete(info, key: object.key, name: name) { current in
                    try deleteOptions.check(current, info: info, name: name)
                }
                deleted.append(gone.bytes)
                revision = max(revision, rev)
            } catch let error as APIError where error.code == 404 {
                continue
            }
        }
        return .bytes(Self.listBytes(info: info, items: deleted, revision: revision, continueValue: nil))
    }
}
