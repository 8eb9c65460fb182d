import Foundation
import KyvernAPI
import KyvernStore

extension ResourceHandler {
    // MARK: delete

    /// What a delete did: the object is gone, or it remains (finalizers, a grace period).
    enum DeleteOutcome: Sendable {
        case deleted(CachedObject)
        case remains(CachedObject)
    }

    func delete(_ request: ResourceRequest, name: String) async throws -> Reply {
        let info = request.info
        let options = try DeleteOptions(request)
        if let webhooks = admissionWebhooks, await webhooks.isConfigured,
           let current = try await storage.read(key: key(request, name: name)) {
            try await admitDeleteWebhooks(current.object, request: request)
        }
        if info.group.isEmpty && info.resource == "namespaces" {
            return try await deleteNamespace(request, name: name, options: options)
        }
        try await admitNodeRestriction(request, .delete, name: name, object: nil)
        let outcome = try await deleteObject(info, key: key(request, name: name), name: name, options: options)
        return reply(for: try await converted(outcome, converter(info)), info: info, options: options)
    }

    /// Upstream answers with the object while it stays (202 when legacy `orphanDependents=false`
    /// asked for a cascade), and with the object or a Status, by kind, once it is gone.
    func reply(for outcome: DeleteOutcome, info: ResourceInfo, options: DeleteOptions) -> Reply {
        switch outcome {
        case .remains(let object):
            return .bytes(object.bytes, status: options.orphanDependents == false ? 202 : 200)
        case .deleted(let object):
            if DeletionRules(info: info, options: options).returnsDeletedObject { return .bytes(object.bytes) }
            return .object(Self.successStatus(info: info, object: object.object))
        }
    }

    /// Deletes one object as upstream's generic store does: preconditions, graceful deletion,
    /// finalizers and the garbage collector's finalizers decide whether it goes now or is marked.
    func deleteObject(_ info: ResourceInfo, key: String, name: String, options: DeleteOptions) async throws -> DeleteOutcome {
        let rules = DeletionRules(info: info, options: options)
        guard let current = try await storage.read(key: key) else {
            throw APIError.notFound(group: info.group, resource: info.resource, name: name)
        }
        var probe = current.object
        let grace = try rules.beforeDelete(&probe, now: Date())
        if grace == .pending { return .remains(current) }
        var wrote = false
        var lastWritten = current
        if rules.needsUpdate(current.object, grace: grace) {
            if options.dryRun {
                switch try rules.step(for: current.object, now: Date()) {
                case .alreadyDeleting: return .remains(current)
                case .deleteNow: return .deleted(current)
                case .mark(let object): return .remains(Self.cached(object, like: current))
                case .markThenDelete(let object): return .deleted(Self.cached(object, like: current))
                }
            }
            var step = DeletionRules.Step.deleteNow
            let (updated, _) = try await storage.update(info, key: key, name: name) { existing in
                step = try rules.step(for: existing, now: Date())
                switch step {
                case .mark(let object), .markThenDelete(let object): return object
                case .alreadyDeleting, .deleteNow: return existing
                }
            }
            switch step {
            case .alreadyDeleting, .mark: return .remains(updated)
            case .markThenDelete:
                wrote = true
                lastWritten = updated
            case .deleteNow: break
            }
        } else if options.dryRun {
            return .deleted(current)
        }
        let deleted: CachedObject
        do {
            (deleted, _) = try await storage.delete(info, key: key, name: name) { object in
                // Our own write just changed the resourceVersion; the uid still has to match.
                if wrote {
                    var uidOnly = options
                    uidOnly.preconditionResourceVersion = nil
                    try DeletionRules(info: info, options: uidOnly).checkPreconditions(object)
                } else {
                    try rules.checkPreconditions(object)
                }
            }
        } catch let error as APIError where error.code == 404 && wrote {
            // Once marked with a grace period of 0 and no finalizers, any other write removes the
            // object (a finalized object goes on update), so another writer may have deleted it
            // between our two steps — as upstream, the deletion we started has happened.
            return .deleted(lastWritten)
        }
        await releaseAllocations(of: deleted.object, info: info)
        return .deleted(deleted)
    }

    static func cached(_ object: JSONValue, like current: CachedObject) -> CachedObject {
        CachedObject(key: current.key, object: object, bytes: object.serialized(), modRevision: current.modRevision)
    }

    static func successStatus(info: ResourceInfo, object: JSONValue) -> JSONValue {
        var details: JSONValue = [
            "name": object[path: ["metadata", "name"]] ?? "",
            "kind": .string(info.resource),
            "uid": object[path: ["metadata", "uid"]] ?? "",
        ]
        // Go omits an empty group.
        if !info.group.isEmpty { details["group"] = .string(info.group) }
        return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details]
    }

    /// An object marked for deletion goes on an update once nothing holds it any more: no
    /// finalizers and, for a namespace, no `spec.finalizers` either. Like upstream's
    /// shouldDeleteDuringUpdate, only when its grace period is 0: a pod still in its graceful
    /// termination stays through its status updates until its node deletes it.
    static func isFinalized(_ object: JSONValue, info: ResourceInfo) -> Bool {
        guard object[path: ["metadata", "deletionTimestamp"]] != nil,
              (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).isEmpty else { return false }
        if info.group.isEmpty && info.resource == "namespaces" {
            return (object[path: ["spec", "finalizers"]]?.arrayValue ?? []).isEmpty
        }
        return (object[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue ?? 0) == 0
    }

    // MARK: namespaces

    /// The first delete only marks a namespace Terminating; the namespace finalizer then removes
    /// its content and the `kubernetes` finalizer, and the namespace goes. Later deletes answer
    /// with the namespace until its `spec.finalizers` are empty.
    func deleteNamespace(_ request: ResourceRequest, name: String, options: DeleteOptions) async throws -> Reply {
        let info = request.info
        // Upstream's NamespaceLifecycle admission keeps these for the cluster's own use.
        if ["default", "kube-system", "kube-public"].contains(name) {
            throw APIError(code: 403, reason: "Forbidden",
                           message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted",
                           details: .init(name: name, kind: "namespaces"))
        }
        let key = StorageKeys.key(info, namespace: nil, name: name)
        guard let current = try await storage.read(key: key) else {
            throw APIError.notFound(group: "", resource: "namespaces", name: name)
        }
        try options.check(current.object, info: info, name: name)
        if current.object[path: ["metadata", "deletionTimestamp"]] == nil {
            let mark: (JSONValue) throws -> JSONValue = { existing in
                try options.check(existing, info: info, name: name)
                return Self.markedTerminating(existing, options: options, now: Date())
            }
            if options.dryRun { return .object(try mark(current.object)) }
            let (updated, _) = try await storage.update(info, key: key, name: name) { try mark($0) }
            return .bytes(updated.bytes)
        }
        if !(current.object[path: ["spec", "finalizers"]]?.arrayValue ?? []).isEmpty {
            return .bytes(current.bytes)
        }
        let outcome = try await deleteObject(info, key: key, name: name, options: options)
        return reply(for: outcome, info: info, options: options)
    }

    static func markedTerminating(_ namespace: JSONValue, options: DeleteOptions, now: Date) -> JSONValue {
        var namespace = namespace
        if namespace[path: ["metadata", "deletionTimestamp"]] == nil {
            namespace[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now))
        }
        namespace[path: ["status", "phase"]] = "Terminating"
        let current = (namespace[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
        var orphan = current.contains(DeletionRules.orphanFinalizer)
        var foreground = current.contains(DeletionRules.foregroundFinalizer)
        if let orphanDependents = options.orphanDependents {
            orphan = orphanDependents
            foreground = !orphanDependents
        } else if let policy = options.propagationPolicy {
            orphan = policy == "Orphan"
            foreground = policy == "Foreground"
        }
        var updated = current.filter { $0 != DeletionRules.orphanFinalizer && $0 != DeletionRules.foregroundFinalizer }
        if orphan { updated.append(DeletionRules.orphanFinalizer) }
        if foreground { updated.append(DeletionRules.foregroundFinalizer) }
        if Set(updated) != Set(current) {
            namespace[path: ["metadata", "finalizers"]] = updated.isEmpty ? nil : .array(updated.map(JSONValue.string))
        }
        return namespace
    }

    // MARK: deletecollection

    /// Deletes each listed object as a single delete would; answers with the list as it was.
    func deleteCollection(_ request: ResourceRequest) async throws -> Reply {
        let info = request.info
        let options = try ListOptions(request.query)
        let deleteOptions = try DeleteOptions(request)
        let filter = try ObjectFilter(options: options, strategy: filterStrategy(info))
        try await storage.syncCache()
        let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
        let prefix = StorageKeys.prefix(info, namespace: request.namespace)
        let snapshot = await cache.list(bucket: bucket, keyPrefix: prefix)
        let listed = snapshot.items.filter { filter.matches($0.object) }
        // The answer shows the objects at the requested version (converted before anything is deleted).
        let shown = try await converted(listed, converter(info))
        let hooked = await admissionWebhooks?.isConfigured ?? false
        for object in listed {
            let name = object.object[path: ["metadata", "name"]]?.stringValue ?? ""
            if hooked { try await admitDeleteWebhooks(object.object, request: request) }
            do {
                _ = try await deleteObject(info, key: object.key, name: name, options: deleteOptions)
            } catch let error as APIError where error.code == 404 {
                continue
            }
        }
        return .bytes(Self.listBytes(info: info, items: shown.map(\.bytes), revision: snapshot.revision, continueValue: nil))
    }
}
