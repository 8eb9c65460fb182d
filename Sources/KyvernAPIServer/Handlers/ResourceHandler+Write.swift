import Foundation
import KyvernAPI
import KyvernStore

extension ResourceHandler {
    // MARK: create

    func create(_ request: inout ResourceRequest) async throws -> Reply {
        let info = request.info
        try validateManagerOptions(request, options: "CreateOptions")
        var object = try decodeObject(&request, kind: info.kind, groupVersion: info.groupVersion, definition: info.definition)
        try reconcileNamespace(&object, request)
        let requestedPriority = object[path: ["spec", "priority"]]
        let requestedName = Self.nameForAdmission(object)
        if (object[path: ["metadata", "name"]]?.stringValue ?? "").isEmpty,
           let prefix = object[path: ["metadata", "generateName"]]?.stringValue, !prefix.isEmpty {
            object[path: ["metadata", "name"]] = .string(NameGenerator.generate(prefix: prefix))
        }
        ObjectDefaults.apply(to: &object, info: info)
        try validateMeta(object, info)
        try validateObject(object, old: nil, info: info)
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if info.namespaced {
            try await requireNamespace(request.namespace ?? "", forCreate: true, info: info, name: requestedName)
        }
        object = recordUpdate(request, old: nil, new: object)
        var prepared = prepareForCreate(object, info)
        await admitStorageCreate(&prepared, info: info)
        try await admitServiceAccount(&prepared, info: info)
        try await admitRBAC(prepared, old: nil, info: info, user: request.user)
        try await admitNodeRestriction(request, .create, name: name, object: prepared)
        try await admitPodSecurity(prepared, old: nil, request: request)
        try admitCertificateRequestCreate(&prepared, info: info, user: request.user)
        try await admitPriority(&prepared, requested: requestedPriority, info: info)
        try await admitLimitRanges(&prepared, info: info, namespace: request.namespace ?? "")
        try await admitMutatingWebhooks(&prepared, old: nil, request: request, operation: .create)
        try await admitValidatingWebhooks(prepared, old: nil, request: request, operation: .create)
        try await admitQuota(prepared, info: info, namespace: request.namespace ?? "")
        let allocation = try await allocateServiceValues(&prepared, old: nil, info: info, dryRun: request.dryRun)
        if request.dryRun { return .object(prepared, status: 201) }
        let toStore = try await forStorage(prepared, storageConverter(info))
        let stored = try await finishing(allocation) {
            try await storage.create(info, key: key(request, name: name), object: toStore)
        }
        return .bytes(try await converted(stored, converter(info)).bytes, status: 201)
    }

    /// The namespace in the body must agree with the one in the path, and is filled in from it.
    func reconcileNamespace(_ object: inout JSONValue, _ request: ResourceRequest) throws {
        let bodyNamespace = object[path: ["metadata", "namespace"]]?.stringValue ?? ""
        if request.info.namespaced {
            let pathNamespace = request.namespace ?? ""
            if !bodyNamespace.isEmpty && bodyNamespace != pathNamespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object[path: ["metadata", "namespace"]] = .string(pathNamespace)
        } else if !bodyNamespace.isEmpty {
            object[path: ["metadata", "namespace"]] = nil
        }
    }

    /// Upstream's NamespaceLifecycle admission: the namespace must exist, and nothing new may be
    /// created in one being terminated. The refusal names the object as admission saw it (its
    /// name, or its generateName before a name is generated) and carries a `NamespaceTerminating`
    /// cause, which controllers test for to stop retrying quietly.
    func requireNamespace(_ namespace: String, forCreate: Bool, info: ResourceInfo? = nil, name: String = "") async throws {
        let nsInfo = ResourceCatalog.find(group: "", version: "v1", resource: "namespaces")!
        let nsKey = StorageKeys.key(nsInfo, namespace: nil, name: namespace)
        var found = await cache.get(key: nsKey)
        if found == nil {
            try await storage.syncCache()
            found = await cache.get(key: nsKey)
        }
        guard let found else { throw APIError.notFound(group: "", resource: "namespaces", name: namespace) }
        if forCreate, found.object[path: ["status", "phase"]]?.stringValue == "Terminating" {
            throw Self.namespaceTerminating(namespace, group: info?.group ?? "", resource: info?.resource ?? "", name: name)
        }
    }

    /// The 403 for a create in a terminating namespace, worded as upstream's admission.NewForbidden.
    static func namespaceTerminating(_ namespace: String, group: String, resource: String, name: String) -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let reason = "unable to create new content in namespace \(namespace) because it is being terminated"
        let message: String
        if qualified.isEmpty {
            message = "forbidden: \(reason)"
        } else if name.isEmpty {
            message = "\(qualified) is forbidden: \(reason)"
        } else {
            message = "\(qualified) \"\(name)\" is forbidden: \(reason)"
        }
        let cause = APIError.Cause(type: "NamespaceTerminating", message: "namespace \(namespace) is being terminated",
                                   field: "metadata.namespace")
        return APIError(code: 403, reason: "Forbidden", message: message,
                        details: .init(name: name, group: group.isEmpty ? nil : group, kind: resource, causes: [cause]))
    }

    /// The name admission reports for a create: `metadata.name`, else `metadata.generateName`.
    static func nameForAdmission(_ object: JSONValue) -> String {
        if let name = object[path: ["metadata", "name"]]?.stringValue, !name.isEmpty { return name }
        return object[path: ["metadata", "generateName"]]?.stringValue ?? ""
    }

    func prepareForCreate(_ object: JSONValue, _ info: ResourceInfo) -> JSONValue {
        var object = object
        var meta = object["metadata"]?.objectValue ?? [:]
        meta["uid"] = .string(UUID().uuidString.lowercased())
        meta["creationTimestamp"] = .string(Timestamp.format(Date()))
        meta["resourceVersion"] = nil
        meta["selfLink"] = nil
        meta["deletionTimestamp"] = nil
        meta["deletionGracePeriodSeconds"] = nil
        if info.hasSpec { meta["generation"] = 1 } else { meta["generation"] = nil }
        object["metadata"] = .object(meta)
        let strategy = KindStrategy(info: info)
        strategy.prepareForCreate(&object, tolerationSeconds: defaultTolerationSeconds)
        if strategy.hasStatusSubresource {
            object["status"] = strategy.initialStatus(for: object)
        }
        if CustomResourceDefinitionStoredVersions.applies(to: info) { CustomResourceDefinitionStoredVersions.record(&object) }
        return object
    }

    // MARK: update

    func update(_ request: inout ResourceRequest, name: String) async throws -> Reply {
        let info = request.info
        try validateManagerOptions(request, options: "UpdateOptions")
        var object = try decodeObject(&request, kind: info.kind, groupVersion: info.groupVersion, definition: info.definition)
        try checkName(object, name: name)
        try reconcileNamespace(&object, request)
        ObjectDefaults.apply(to: &object, info: info)
        try validateMeta(object, info)
        let candidate = object
        return try await writeUpdate(request, name: name) { current in
            let merged = try mergeForUpdate(new: candidate, current: current, info: info, statusOnly: false)
            try validateObject(merged, old: current, info: info)
            return merged
        }
    }

    func checkName(_ object: JSONValue, name: String) throws {
        let bodyName = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
    }

    /// Read-modify-write shared by update, patch and the status subresource.
    func writeUpdate(_ request: ResourceRequest, name: String,
                     transform writeTransform: @escaping (JSONValue) async throws -> JSONValue) async throws -> Reply {
        let info = request.info
        let key = key(request, name: name)
        // Every write but server-side apply (which keeps its own) records its manager's changes;
        // values the server allocates afterwards (cluster IPs, node ports) are nobody's.
        let records = !isApply(request)
        let converter = converter(info)
        let recording: (JSONValue) async throws -> JSONValue = { current in
            let shown = try await converter?.convert([current])[0] ?? current
            var updated = try await writeTransform(shown)
            try await self.admitMutatingWebhooks(&updated, old: shown, request: request, operation: .update)
            try await self.admitStorageUpdate(updated, old: current, info: info)
            try await self.admitRBAC(updated, old: current, info: info, user: request.user)
            try await self.admitNodeRestriction(request, .update, name: name, object: updated, old: current)
            try await self.admitPodSecurity(updated, old: current, request: request)
            try await self.admitValidatingWebhooks(updated, old: current, request: request, operation: .update)
            return records ? self.recordUpdate(request, old: current, new: updated) : updated
        }
        let allocations = UpdateAllocations(handler: self, info: info, dryRun: request.dryRun)
        let allocating = allocations.wrap(recording)
        if request.dryRun {
            guard let current = try await storage.read(key: key) else {
                throw APIError.notFound(group: info.group, resource: info.resource, name: name)
            }
            return .object(try await allocating(current.object))
        }
        // Custom objects are stored at their definition's storage version, whatever version wrote them.
        let storing = storageConverter(info)
        let transform: (JSONValue) async throws -> JSONValue = { current in
            try await self.forStorage(try await allocating(current), storing)
        }
        // An object being deleted goes once its last finalizer is removed, in the same store operation.
        let (result, _) = try await allocations.finish {
            try await storage.update(info, key: key, name: name, deleteWhen: { Self.isFinalized($0, info: info) },
                                     transform: transform)
        }
        if Self.isFinalized(result.object, info: info) {
            await releaseAllocations(of: result.object, info: info)
        }
        return .bytes(try await converted(result, converter).bytes)
    }

    /// The object to store for an update: the client's object, with what the client may not change
    /// carried over from the current one (identity, timestamps, and spec or status, whichever the
    /// endpoint does not own), and generation bumped when the spec changed.
    func mergeForUpdate(new: JSONValue, current: JSONValue, info: ResourceInfo, statusOnly: Bool) throws -> JSONValue {
        let name = current[path: ["metadata", "name"]]?.stringValue ?? ""
        if let rv = new[path: ["metadata", "resourceVersion"]]?.stringValue, !rv.isEmpty,
           rv != current[path: ["metadata", "resourceVersion"]]?.stringValue {
            throw APIError.conflict(group: info.group, resource: info.resource, name: name,
                                    reason: "the object has been modified; please apply your changes to the latest version and try again")
        }
        if let uid = new[path: ["metadata", "uid"]]?.stringValue, !uid.isEmpty,
           uid != current[path: ["metadata", "uid"]]?.stringValue {
            throw APIError.conflict(group: info.group, resource: info.resource, name: name,
                                    reason: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current[path: ["metadata", "uid"]]?.stringValue ?? "")")
        }
        var result: JSONValue
        if statusOnly {
            result = current
            result["status"] = new["status"]
        } else {
            result = new
            var meta = result["metadata"]?.objectValue ?? [:]
            let currentMeta = current["metadata"]?.objectValue ?? [:]
            for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name"] {
                meta[field] = currentMeta[field]
            }
            result["metadata"] = .object(meta)
            if KindStrategy(info: info).hasStatusSubresource {
                result["status"] = current["status"]
            }
            if Self.isService(info) { ServiceSpecRules.prepareForUpdate(&result, old: current) }
            if CustomResourceDefinitionStoredVersions.applies(to: info) { CustomResourceDefinitionStoredVersions.record(&result) }
            if DaemonSetTemplateGeneration.applies(to: info) { DaemonSetTemplateGeneration.prepareForUpdate(&result, old: current) }
            if info.hasSpec, result["spec"] != current["spec"] {
                let generation = current[path: ["metadata", "generation"]]?.intValue ?? 0
                result[path: ["metadata", "generation"]] = .int(generation + 1)
            }
        }
        return result
    }

    // MARK: patch

    func patch(_ request: inout ResourceRequest, name: String) async throws -> Reply {
        let info = request.info
        let patchType = PatchType(contentType: request.contentType)
        guard let patchType else {
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
        }
        if patchType == .apply { return try await applyPatch(&request, name: name) }
        try validateManagerOptions(request, options: "PatchOptions")
        let base = request
        return try await applyingPatch(&request, type: patchType, as: info,
                                       write: { try await writeUpdate($0, name: name, transform: $1) }) { patched, current in
            var object = patched
            try checkName(object, name: name)
            try reconcileNamespace(&object, base)
            ObjectDefaults.apply(to: &object, info: info)
            try validateMeta(object, info)
            let merged = try mergeForUpdate(new: object, current: current, info: info, statusOnly: false)
            try validateObject(merged, old: current, info: info)
            return merged
        }
    }
}

/// Random suffixes for `generateName`, from the alphabet upstream uses (no vowels, no look-alikes).
enum NameGenerator {
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func generate(prefix: String) -> String {
        let trimmed = prefix.count > 58 ? String(prefix.prefix(58)) : prefix
        return trimmed + String((0..<5).map { _ in alphabet.randomElement()! })
    }
}
