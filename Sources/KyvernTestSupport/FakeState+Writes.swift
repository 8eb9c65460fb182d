import Foundation
import KyvernAPI
import KyvernClient

/// The write rules of upstream's generic registry that controllers depend on, without schemas:
/// server-set metadata, optimistic concurrency, status kept apart from the main resource,
/// generation on spec changes, finalizers and graceful pod deletion.
extension FakeState {
    static let nameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    static func hasStatusSubresource(_ ref: ResourceRef) -> Bool {
        info(ref)?.subresource("status") != nil
    }

    /// Kinds without a spec (ConfigMaps, Leases, ...) carry no generation upstream.
    static func tracksGeneration(_ ref: ResourceRef) -> Bool {
        info(ref)?.hasSpec ?? true
    }

    /// The object without the parts whose change does not bump `metadata.generation`.
    static func specPart(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["metadata"] = nil
        copy["status"] = nil
        return copy
    }

    func conflict(_ ref: ResourceRef, _ name: String) -> APIError {
        APIError.conflict(group: ref.group, resource: ref.resource, name: name,
                          reason: "the object has been modified; please apply your changes to the latest version and try again")
    }

    // MARK: create

    mutating func create(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, dryRun: Bool) throws -> JSONValue {
        var object = object
        let objectNamespace = object.namespace ?? ""
        var namespace = namespace ?? ""
        if ref.namespaced {
            if !objectNamespace.isEmpty && !namespace.isEmpty && objectNamespace != namespace {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            if namespace.isEmpty { namespace = objectNamespace.isEmpty ? "default" : objectNamespace }
            object.namespace = namespace
        } else {
            object.namespace = nil
            namespace = ""
        }
        var name = object.name ?? ""
        if name.isEmpty {
            guard let prefix = object.generateName, !prefix.isEmpty else {
                throw APIError.invalid(group: ref.group, kind: Self.info(ref)?.kind ?? ref.resource, name: "",
                                       causes: [.init(type: "FieldValueRequired", message: "name or generateName is required",
                                                      field: "metadata.name")])
            }
            repeat {
                name = prefix + String((0..<5).map { _ in Self.nameAlphabet.randomElement()! })
            } while stored(ref, ObjectKey(namespace: namespace, name: name)) != nil
            object.name = name
        }
        let key = ObjectKey(namespace: namespace, name: name)
        if stored(ref, key) != nil {
            throw APIError.alreadyExists(group: ref.group, resource: ref.resource, name: name)
        }
        if object["apiVersion"] == nil {
            object.apiVersion = ref.group.isEmpty ? ref.version : "\(ref.group)/\(ref.version)"
        }
        if object["kind"] == nil, let kind = Self.info(ref)?.kind { object.kind = kind }
        object.uid = UUID().uuidString.lowercased()
        object.creationTimestamp = Timestamp.format(Date())
        object.deletionTimestamp = nil
        object.setMetadata("deletionGracePeriodSeconds", nil)
        object.setMetadata("generation", Self.tracksGeneration(ref) ? .int(1) : nil)
        if Self.isNamespaces(ref) {
            // Upstream's namespace strategy: the `kubernetes` finalizer and phase Active.
            if object[path: ["spec", "finalizers"]] == nil { object[path: ["spec", "finalizers"]] = ["kubernetes"] }
            object[path: ["status", "phase"]] = "Active"
        }
        if dryRun { return object }
        return commit(ref, key, .added, old: nil, new: object)
    }

    // MARK: update

    /// Checks `metadata.resourceVersion` (when the caller sent one) against the stored object.
    func checkResourceVersion(_ ref: ResourceRef, sent: String?, stored: JSONValue, name: String) throws {
        if let sent, !sent.isEmpty, sent != stored.resourceVersion { throw conflict(ref, name) }
    }

    /// Writes `proposed` over `current` as an update of the main resource: server-owned metadata
    /// and (for kinds with a status subresource) the status stay as stored.
    mutating func replace(_ ref: ResourceRef, _ key: ObjectKey, current: JSONValue, proposed: JSONValue,
                          dryRun: Bool) throws -> JSONValue {
        var object = proposed
        object.name = key.name
        object.namespace = ref.namespaced ? key.namespace : nil
        object.uid = current.uid
        object.creationTimestamp = current.creationTimestamp
        object.deletionTimestamp = current.deletionTimestamp
        object.setMetadata("deletionGracePeriodSeconds", current[path: ["metadata", "deletionGracePeriodSeconds"]])
        if Self.hasStatusSubresource(ref) { object["status"] = current["status"] }
        if Self.tracksGeneration(ref) {
            let generation = current.generation ?? 1
            object.setMetadata("generation", .int(Self.specPart(object) == Self.specPart(current) ? generation : generation + 1))
        }
        return try write(ref, key, current: current, object, dryRun: dryRun)
    }

    /// Stores a changed object; one marked for deletion whose last finalizer is gone is deleted.
    mutating func write(_ ref: ResourceRef, _ key: ObjectKey, current: JSONValue, _ object: JSONValue,
                        dryRun: Bool) throws -> JSONValue {
        var object = object
        object.resourceVersion = current.resourceVersion
        if object == current || dryRun { return object }
        if object.deletionTimestamp != nil, object.finalizers.isEmpty, !isGracePending(ref, object),
           !(Self.isNamespaces(ref) && !(object[path: ["spec", "finalizers"]]?.arrayValue ?? []).isEmpty) {
            return commit(ref, key, .deleted, old: current, new: object)
        }
        return commit(ref, key, .modified, old: current, new: object)
    }

    mutating func update(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, dryRun: Bool) throws -> JSONValue {
        let name = try Self.name(of: object)
        let key = key(ref, namespace: namespace ?? object.namespace, name: name)
        guard let current = stored(ref, key) else { throw notFound(ref, name) }
        try checkResourceVersion(ref, sent: object.resourceVersion, stored: current, name: name)
        return try replace(ref, key, current: current, proposed: object, dryRun: dryRun)
    }

    /// Only `status` changes, whatever else the object holds.
    mutating func updateStatus(_ ref: ResourceRef, namespace: String?, _ object: JSONValue, dryRun: Bool) throws -> JSONValue {
        let name = try Self.name(of: object)
        let key = key(ref, namespace: namespace ?? object.namespace, name: name)
        guard let current = stored(ref, key) else { throw notFound(ref, name) }
        try checkResourceVersion(ref, sent: object.resourceVersion, stored: current, name: name)
        var updated = current
        updated["status"] = object["status"]
        return try write(ref, key, current: current, updated, dryRun: dryRun)
    }

    mutating func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String?, type: PatchType,
                        _ patch: JSONValue, options: WriteOptions) throws -> JSONValue {
        let key = key(ref, namespace: namespace, name: name)
        guard let current = stored(ref, key) else { throw notFound(ref, name) }
        let patched: JSONValue
        switch type {
        case .merge: patched = MergePatch.apply(patch, to: current)
        case .json: patched = try JSONPatch.apply(patch, to: current)
        case .strategicMerge: patched = StrategicMergePatch.apply(patch, to: current) ?? [:]
        case .apply:
            guard let manager = options.fieldManager, !manager.isEmpty else {
                throw APIError.invalid(group: "meta.k8s.io", kind: "PatchOptions", name: "",
                                       causes: [.init(type: "FieldValueRequired", message: "Required value: is required for apply patch",
                                                      field: "fieldManager")])
            }
            patched = StrategicMergePatch.apply(patch, to: current) ?? [:]
        }
        // A resourceVersion in the patch is a precondition.
        try checkResourceVersion(ref, sent: patched.resourceVersion, stored: current, name: name)
        switch subresource {
        case nil:
            return try replace(ref, key, current: current, proposed: patched, dryRun: options.dryRun)
        case "status":
            var updated = current
            updated["status"] = patched["status"]
            return try write(ref, key, current: current, updated, dryRun: options.dryRun)
        default:
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }

    static func name(of object: JSONValue) throws -> String {
        guard let name = object.name, !name.isEmpty else { throw APIError.badRequest("the object has no metadata.name") }
        return name
    }

    // MARK: delete

    /// A pod marked with a grace period stays until it is deleted again with grace 0 (its node
    /// agent does that once the containers stopped).
    func isGracePending(_ ref: ResourceRef, _ object: JSONValue) -> Bool {
        ref.group.isEmpty && ref.resource == "pods" && (object.deletionGracePeriodSeconds ?? 0) > 0
    }

    mutating func delete(_ ref: ResourceRef, namespace: String?, name: String, options: DeleteOptions) throws -> JSONValue {
        let key = key(ref, namespace: namespace, name: name)
        guard let current = stored(ref, key) else { throw notFound(ref, name) }
        let kind = Self.info(ref)?.kind ?? ref.resource
        if let uid = options.preconditionUID, uid != current.uid {
            throw APIError.conflict(group: ref.group, resource: kind, name: name,
                                    reason: "the UID in the precondition (\(uid)) does not match the UID in record (\(current.uid ?? "")). The object might have been deleted and then recreated")
        }
        if let rv = options.preconditionResourceVersion, rv != current.resourceVersion {
            throw APIError.conflict(group: ref.group, resource: kind, name: name,
                                    reason: "the ResourceVersion in the precondition (\(rv)) does not match the ResourceVersion in record (\(current.resourceVersion ?? "")). The object might have been modified")
        }
        var object = current
        let now = Date()
        var grace: Int64 = 0
        if ref.group.isEmpty && ref.resource == "pods" {
            let phase = current[path: ["status", "phase"]]?.stringValue
            let onNode = !(current[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty
            grace = options.gracePeriodSeconds ?? current[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? 30
            if !onNode || phase == "Succeeded" || phase == "Failed" { grace = 0 }
            if let pending = current.deletionGracePeriodSeconds, current.deletionTimestamp != nil {
                grace = min(grace, pending)
            }
        }
        // The garbage collector's finalizers, as the propagation policy asks.
        var finalizers = object.finalizers
        switch options.propagationPolicy {
        case .orphan?:
            finalizers.removeAll { $0 == "foregroundDeletion" }
            if !finalizers.contains("orphan") { finalizers.append("orphan") }
        case .foreground?:
            finalizers.removeAll { $0 == "orphan" }
            if !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
        case .background?:
            finalizers.removeAll { $0 == "orphan" || $0 == "foregroundDeletion" }
        case nil:
            break
        }
        if Self.isNamespaces(ref) {
            // Deleting a namespace marks it Terminating; it goes once the namespace controller
            // emptied it and cleared `spec.finalizers` through `namespaces/finalize`.
            if current.deletionTimestamp == nil { object.deletionTimestamp = Timestamp.format(now) }
            object[path: ["status", "phase"]] = "Terminating"
            object.setMetadata("finalizers", finalizers.isEmpty ? nil : .array(finalizers.map(JSONValue.string)))
            if options.dryRun { return object }
            return try write(ref, key, current: current, object, dryRun: false)
        }
        if finalizers.isEmpty && grace == 0 {
            if options.dryRun { return current }
            return commit(ref, key, .deleted, old: current, new: current)
        }
        object.setMetadata("finalizers", finalizers.isEmpty ? nil : .array(finalizers.map(JSONValue.string)))
        if current.deletionTimestamp == nil || grace < (current.deletionGracePeriodSeconds ?? 0) {
            object.deletionTimestamp = Timestamp.format(now.addingTimeInterval(Double(grace)))
            if current.deletionTimestamp == nil, let generation = current.generation {
                object.setMetadata("generation", .int(generation + 1))
            }
        }
        object.setMetadata("deletionGracePeriodSeconds", .int(grace))
        if options.dryRun { return object }
        return try write(ref, key, current: current, object, dryRun: false)
    }

    // MARK: subresources

    static func isNamespaces(_ ref: ResourceRef) -> Bool { ref.group.isEmpty && ref.resource == "namespaces" }

    /// PUT of `namespaces/finalize`: only `spec.finalizers` changes; a terminating namespace left
    /// without finalizers is deleted.
    mutating func updateSubresource(_ ref: ResourceRef, name: String, subresource: String, _ body: JSONValue,
                                    dryRun: Bool) throws -> JSONValue {
        guard Self.isNamespaces(ref), subresource == "finalize" else {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let key = key(ref, namespace: nil, name: name)
        guard let current = stored(ref, key) else { throw notFound(ref, name) }
        try checkResourceVersion(ref, sent: body.resourceVersion, stored: current, name: name)
        var updated = current
        updated[path: ["spec", "finalizers"]] = body[path: ["spec", "finalizers"]]
        return try write(ref, key, current: current, updated, dryRun: dryRun)
    }

    mutating func createSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                                    _ body: JSONValue) throws -> JSONValue {
        let key = key(ref, namespace: namespace, name: name)
        let success: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201]
        switch (ref.group, ref.resource, subresource) {
        case ("", "pods", "binding"):
            guard let current = stored(ref, key) else { throw notFound(ref, name) }
            guard let node = body[path: ["target", "name"]]?.stringValue, !node.isEmpty else {
                throw APIError.invalid(group: "", kind: "Binding", name: name,
                                       causes: [.init(type: "FieldValueRequired", message: "Required value", field: "target.name")])
            }
            let updated = try PodBinding.bind(current, podName: name, node: node,
                                              uid: body[path: ["metadata", "uid"]]?.stringValue)
            _ = try write(ref, key, current: current, updated, dryRun: false)
            return success
        case ("", "pods", "eviction"):
            let options = body["deleteOptions"]
            _ = try delete(ref, namespace: namespace, name: name, options: DeleteOptions(
                gracePeriodSeconds: options?["gracePeriodSeconds"]?.intValue,
                preconditionUID: options?[path: ["preconditions", "uid"]]?.stringValue,
                preconditionResourceVersion: options?[path: ["preconditions", "resourceVersion"]]?.stringValue))
            return success
        default:
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }
}
