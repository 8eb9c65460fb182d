import Foundation
import KyvernAPI
import KyvernStore

/// Server-side apply (`PATCH` with `application/apply-patch+yaml`): the configuration is merged into
/// the live object by `FieldManager.apply`; an object that does not exist yet is created (201). The
/// status subresource applies too, owning only `status`.
extension ResourceHandler {
    func applyPatch(_ request: inout ResourceRequest, name: String) async throws -> Reply {
        let info = request.info
        try validateManagerOptions(request, options: "PatchOptions", isApply: true)
        let manager = request.query["fieldManager"] ?? ""
        let force = request.query["force"] == "true"
        let decoded = try BodyDecoder.decode(request.body, contentType: request.contentType, what: info.kind)
        guard case .object = decoded else {
            throw APIError.badRequest("error decoding YAML: the applied configuration must be an object")
        }
        var checked = request
        var config = try checkObject(decoded, &checked, kind: info.kind, groupVersion: info.groupVersion, definition: info.definition)
        request.warnings = checked.warnings
        // A configuration without a name applies to the object the URL names.
        if (config[path: ["metadata", "name"]]?.stringValue ?? "").isEmpty {
            config[path: ["metadata", "name"]] = .string(name)
        }
        try checkName(config, name: name)
        try reconcileNamespace(&config, request)
        let fields = fieldManager(request)
        let applied = config
        let key = key(request, name: name)
        if try await storage.read(key: key) == nil, request.target.subresource == nil {
            do {
                return try await createByApply(request, config: applied, fields: fields, manager: manager, force: force, name: name)
            } catch let error as APIError where error.code == 409 && error.reason == "AlreadyExists" {
                // Created meanwhile: apply to it.
            }
        }
        let base = request
        return try await writeUpdate(request, name: name) { current in
            var object = try fields.apply(live: current, config: applied, manager: manager, force: force,
                                          now: Timestamp.format(Date()))
            try reconcileNamespace(&object, base)
            ObjectDefaults.apply(to: &object, info: info)
            try validateMeta(object, info)
            let statusOnly = base.target.subresource == "status"
            var merged = try mergeForUpdate(new: object, current: current, info: info, statusOnly: statusOnly)
            merged[path: ["metadata", "managedFields"]] = object[path: ["metadata", "managedFields"]]
            try validateObject(merged, old: current, info: info)
            return merged
        }
    }

    private func createByApply(_ request: ResourceRequest, config: JSONValue, fields: FieldManager, manager: String,
                               force: Bool, name: String) async throws -> Reply {
        let info = request.info
        var object = try fields.apply(live: nil, config: config, manager: manager, force: force, now: Timestamp.format(Date()))
        let requestedPriority = object[path: ["spec", "priority"]]
        ObjectDefaults.apply(to: &object, info: info)
        try validateMeta(object, info)
        try validateObject(object, old: nil, info: info)
        if info.namespaced {
            try await requireNamespace(request.namespace ?? "", forCreate: true, info: info, name: name)
        }
        var prepared = prepareForCreate(object, info)
        await admitStorageCreate(&prepared, info: info)
        try await admitRBAC(prepared, old: nil, info: info, user: request.user)
        try await admitNodeRestriction(request, .create, name: name, object: prepared)
        try await admitPodSecurity(prepared, old: nil, request: request)
        try admitCertificateRequestCreate(&prepared, info: info, user: request.user)
        try await admitPriority(&prepared, requested: requestedPriority, info: info)
        try await admitLimitRanges(&prepared, info: info, namespace: request.namespace ?? "")
        try await admitMutatingWebhooks(&prepared, old: nil, request: request, operation: .create)
        try await admitValidatingWebhooks(prepared, old: nil, request: request, operation: .create)
        try await admitQuota(prepared, info: info, namespace: request.namespace ?? "")
        if request.dryRun { return .object(prepared, status: 201) }
        let toStore = try await forStorage(prepared, storageConverter(info))
        let stored = try await storage.create(info, key: key(request, name: name), object: toStore)
        return .bytes(try await converted(stored, converter(info)).bytes, status: 201)
    }
}
