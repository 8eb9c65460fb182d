import Foundation
import KyvernAPI
import Logging

/// Empties terminating namespaces and then lets them go: upstream's namespace controller.
///
/// For each namespace marked for deletion that still carries the `kubernetes` finalizer it
/// deletes every object in it (each as a client's delete would, so finalizers and grace periods
/// hold objects back), records upstream's status conditions, and once nothing is left removes
/// the finalizer, after which the namespace is deleted. It reads through the watch cache and
/// writes through the same paths as requests; it will move to the controller manager when the
/// client library exists.
struct NamespaceFinalizer: Sendable {
    static let finalizer = "kubernetes"

    let handler: ResourceHandler
    let logger: Logger
    var interval: Duration = .milliseconds(250)

    private var storage: ObjectStorage { handler.storage }
    private var namespaceInfo: ResourceInfo { ResourceCatalog.find(group: "", version: "v1", resource: "namespaces")! }

    /// Every namespaced resource once (the store keeps one copy per group and resource).
    static let contentResources: [ResourceInfo] = {
        var seen: Set<String> = []
        return ResourceCatalog.all.filter { info in
            info.namespaced && info.verbs.contains("delete") && info.verbs.contains("list")
                && seen.insert("\(info.group)/\(info.resource)").inserted
        }
    }()

    func run() async {
        while !Task.isCancelled {
            await pass()
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// One look at every terminating namespace.
    func pass() async {
        let bucket = StorageKeys.resourcePrefix(group: "", resource: "namespaces")
        let terminating = await storage.cache.list(bucket: bucket, keyPrefix: bucket).items.filter { namespace in
            namespace.object[path: ["metadata", "deletionTimestamp"]] != nil
                && (namespace.object[path: ["spec", "finalizers"]]?.arrayValue ?? []).contains(.string(Self.finalizer))
        }
        for namespace in terminating {
            let name = namespace.object[path: ["metadata", "name"]]?.stringValue ?? ""
            do {
                try await finalize(name)
            } catch {
                logger.warning("namespace deletion failed; will retry", metadata: ["namespace": "\(name)", "error": "\(error)"])
            }
        }
    }

    func finalize(_ name: String) async throws {
        var conditions = NamespaceConditions()
        let options = DeleteOptions(propagationPolicy: "Background")
        for info in Self.contentResources {
            let prefix = StorageKeys.prefix(info, namespace: name)
            let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
            for object in await storage.cache.list(bucket: bucket, keyPrefix: prefix).items {
                let objectName = object.object[path: ["metadata", "name"]]?.stringValue ?? ""
                do {
                    _ = try await handler.deleteObject(info, key: object.key, name: objectName, options: options)
                } catch let error as APIError where error.code == 404 {
                    continue
                } catch {
                    let what = info.group.isEmpty ? info.resource : "\(info.resource).\(info.group)"
                    conditions.contentFailures.append("\(what): \(error)")
                }
            }
        }
        try await storage.syncCache()
        for info in Self.contentResources {
            let prefix = StorageKeys.prefix(info, namespace: name)
            let bucket = StorageKeys.resourcePrefix(group: info.group, resource: info.resource)
            let left = await storage.cache.list(bucket: bucket, keyPrefix: prefix).items
            guard !left.isEmpty else { continue }
            conditions.remaining["\(info.resource).\(info.group)", default: 0] += left.count
            for object in left {
                for finalizer in (object.object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue) {
                    conditions.finalizersRemaining[finalizer, default: 0] += 1
                }
            }
        }
        let info = namespaceInfo
        let key = StorageKeys.key(info, namespace: nil, name: name)
        let done = conditions.isDone
        let (updated, _) = try await storage.update(info, key: key, name: name) { current in
            guard current[path: ["metadata", "deletionTimestamp"]] != nil else { return current }
            var namespace = current
            let existing = current[path: ["status", "conditions"]]?.arrayValue ?? []
            namespace[path: ["status", "conditions"]] = .array(conditions.apply(to: existing, now: Date()))
            if namespace[path: ["status", "conditions"]] == current[path: ["status", "conditions"]] {
                namespace[path: ["status", "conditions"]] = current[path: ["status", "conditions"]]
            }
            if done {
                let finalizers = (current[path: ["spec", "finalizers"]]?.arrayValue ?? []).filter { $0 != .string(Self.finalizer) }
                namespace[path: ["spec", "finalizers"]] = finalizers.isEmpty ? nil : .array(finalizers)
            }
            return namespace
        }
        if ResourceHandler.isFinalized(updated.object, info: info) {
            do {
                _ = try await storage.delete(info, key: key, name: name) { current in
                    guard ResourceHandler.isFinalized(current, info: info) else {
                        throw APIError.conflict(group: "", resource: "namespaces", name: name, reason: "the namespace changed")
                    }
                }
                logger.info("namespace deleted", metadata: ["namespace": "\(name)"])
            } catch let error as APIError where error.code == 404 {
                return
            }
        }
    }
}
