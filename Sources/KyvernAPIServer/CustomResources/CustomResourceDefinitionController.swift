import Foundation
import KyvernAPI
import Logging

/// The API server's own CustomResourceDefinition controllers, as upstream's apiextensions server
/// runs them in-process: it names and establishes definitions (`status.acceptedNames`, the
/// `NamesAccepted` and `Established` conditions), keeps ``ServedResources`` in step with them,
/// and empties a definition being deleted of its objects before letting it go.
///
/// It follows the watch cache, so every server of a cluster serves the definitions any of them
/// stored; their status writes carry resourceVersions and agree, so several may run at once.
struct CustomResourceDefinitionController: Sendable {
    let handler: ResourceHandler
    let served: ServedResources
    let logger: Logger

    static let cleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"
    static let info = ResourceCatalog.find(group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions")!
    static var prefix: String { StorageKeys.resourcePrefix(group: info.group, resource: info.resource) }

    func run() async throws {
        let state = CustomResourceDefinitionState()
        let (items, _, id, events) = try await handler.cache.snapshotAndWatch(bucket: Self.prefix, keyPrefix: Self.prefix)
        for item in items { await state.set(item.key, item.object) }
        await refresh(state)
        for name in await state.names() { await reconcile(name, state) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events {
                    if event.type == .deleted {
                        await state.remove(event.key)
                    } else {
                        await state.set(event.key, event.object.object)
                    }
                    await refresh(state)
                    if let name = event.object.object[path: ["metadata", "name"]]?.stringValue, event.type != .deleted {
                        await reconcile(name, state)
                    }
                }
            }
            group.addTask {
                // Definitions being deleted wait for their objects (finalizers, graceful deletion) to go.
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    for name in await state.terminatingNames() { await reconcile(name, state) }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
        await handler.cache.stopWatching(id)
    }

    private func refresh(_ state: CustomResourceDefinitionState) async {
        served.update(definitions: await state.all())
    }

    /// Brings one definition's status to what the naming rules say, and finishes its deletion.
    func reconcile(_ name: String, _ state: CustomResourceDefinitionState) async {
        let key = StorageKeys.key(Self.info, namespace: nil, name: name)
        do {
            guard let crd = await state.get(key) else { return }
            let others = await state.all()
            let terminating = crd[path: ["metadata", "deletionTimestamp"]].map { $0 != .null } ?? false
            _ = try await handler.storage.update(Self.info, key: key, name: name) { current in
                var updated = current
                updated["status"] = CustomResourceDefinitionNames.status(of: current, others: others, now: Timestamp.format(Date()))
                if terminating {
                    var conditions = updated[path: ["status", "conditions"]]?.arrayValue ?? []
                    CustomResourceDefinitionNames.set(&conditions, type: "Terminating", status: "True",
                                                      reason: "InstanceDeletionInProgress",
                                                      message: "CustomResource deletion is in progress",
                                                      now: Timestamp.format(Date()))
                    updated[path: ["status", "conditions"]] = .array(conditions)
                }
                // Unchanged but for transition times: leave it be.
                return Self.sameIgnoringTimes(updated, current) ? current : updated
            }
            guard terminating, (crd[path: ["metadata", "finalizers"]]?.arrayValue ?? []).contains(.string(Self.cleanupFinalizer)) else {
                return
            }
            let remaining = try await deleteInstances(of: crd)
            guard remaining == 0 else { return }
            _ = try await handler.storage.update(Self.info, key: key, name: name,
                                                 deleteWhen: { ResourceHandler.isFinalized($0, info: Self.info) }) { current in
                var updated = current
                let finalizers = (current[path: ["metadata", "finalizers"]]?.arrayValue ?? []).filter { $0 != .string(Self.cleanupFinalizer) }
                updated[path: ["metadata", "finalizers"]] = finalizers.isEmpty ? nil : .array(finalizers)
                return updated
            }
            logger.info("custom resource definition deleted with its objects", metadata: ["name": "\(name)"])
        } catch let error as APIError where error.code == 404 || error.code == 409 {
            // Gone meanwhile, or written by another server: the next event brings it back here.
        } catch {
            logger.warning("custom resource definition reconcile failed", metadata: ["name": "\(name)", "error": "\(error)"])
        }
    }

    /// Deletes every object of the definition's resource (as a delete request would, so their own
    /// finalizers hold them); returns how many are still there.
    func deleteInstances(of crd: JSONValue) async throws -> Int {
        guard let group = crd[path: ["spec", "group"]]?.stringValue,
              let plural = crd[path: ["status", "acceptedNames", "plural"]]?.stringValue, !plural.isEmpty else { return 0 }
        let bucket = StorageKeys.resourcePrefix(group: group, resource: plural)
        let items = await handler.cache.list(bucket: bucket, keyPrefix: bucket).items
        guard !items.isEmpty else { return 0 }
        let versions = CustomResourceVersion.servedVersions(of: crd)
        guard let info = (versions.first { $0.info.version == $0.storageVersion } ?? versions.first)?.info else { return items.count }
        for item in items where item.object[path: ["metadata", "deletionTimestamp"]] == nil {
            let name = item.object[path: ["metadata", "name"]]?.stringValue ?? ""
            do {
                _ = try await handler.deleteObject(info, key: item.key, name: name, options: DeleteOptions())
            } catch let error as APIError where error.code == 404 {
                continue
            }
        }
        return await handler.cache.list(bucket: bucket, keyPrefix: bucket).items.count
    }

    /// Two statuses that differ only in condition transition times are the same.
    static func sameIgnoringTimes(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func strip(_ value: JSONValue) -> JSONValue {
            var value = value
            if let conditions = value[path: ["status", "conditions"]]?.arrayValue {
                value[path: ["status", "conditions"]] = .array(conditions.map { condition in
                    var condition = condition
                    condition["lastTransitionTime"] = nil
                    return condition
                })
            }
            return value
        }
        return strip(a) == strip(b)
    }
}

/// The definitions the controller has seen, by storage key.
actor CustomResourceDefinitionState {
    private var definitions: [String: JSONValue] = [:]

    func set(_ key: String, _ object: JSONValue) { definitions[key] = object }
    func remove(_ key: String) { definitions[key] = nil }
    func get(_ key: String) -> JSONValue? { definitions[key] }
    func all() -> [JSONValue] { definitions.keys.sorted().compactMap { definitions[$0] } }

    func names() -> [String] {
        definitions.values.compactMap { $0[path: ["metadata", "name"]]?.stringValue }.sorted()
    }

    func terminatingNames() -> [String] {
        definitions.values.filter { $0[path: ["metadata", "deletionTimestamp"]] != nil }
            .compactMap { $0[path: ["metadata", "name"]]?.stringValue }.sorted()
    }
}
