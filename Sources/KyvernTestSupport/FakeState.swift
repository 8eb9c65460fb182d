import Foundation
import KyvernAPI
import KyvernClient

/// Everything the fake holds, changed only under its lock, so every operation is atomic and
/// every change gets the next resourceVersion, as one etcd would give it.
struct FakeState: Sendable {
    var revision: Int64 = 0
    /// Watches from a resourceVersion older than this fail with 410 (history before it is gone).
    var oldestWatchable: Int64 = 0
    var objects: [String: [ObjectKey: JSONValue]] = [:]
    var history: [Change] = []
    var watchers: [Int: Watcher] = [:]
    var nextWatcherID = 0
    var actions: [FakeClient.Action] = []
    var reactors: [FakeClient.Reactor] = []
    /// Documents served at paths that name no resource (discovery), by path.
    var documents: [String: JSONValue] = [:]

    static func resourceKey(_ ref: ResourceRef) -> String { ref.group + "/" + ref.resource }

    static func info(_ ref: ResourceRef) -> ResourceInfo? {
        ResourceCatalog.find(group: ref.group, version: ref.version, resource: ref.resource)
    }

    /// Records the change, stamps the next resourceVersion and hands it to matching watchers.
    /// Returns the object as stored (or, for a delete, as last seen).
    @discardableResult
    mutating func commit(_ ref: ResourceRef, _ key: ObjectKey, _ kind: Change.Kind, old: JSONValue?,
                         new object: JSONValue) -> JSONValue {
        revision += 1
        var stamped = object
        stamped.resourceVersion = String(revision)
        let resource = Self.resourceKey(ref)
        switch kind {
        case .added, .modified: objects[resource, default: [:]][key] = stamped
        case .deleted: objects[resource]?[key] = nil
        }
        let change = Change(revision: revision, resource: resource, key: key, kind: kind, old: old, object: stamped)
        history.append(change)
        for watcher in watchers.values {
            if let event = watcher.event(for: change) { watcher.continuation.yield(event) }
        }
        return stamped
    }

    func stored(_ ref: ResourceRef, _ key: ObjectKey) -> JSONValue? {
        objects[Self.resourceKey(ref)]?[key]
    }

    func key(_ ref: ResourceRef, namespace: String?, name: String) -> ObjectKey {
        ObjectKey(namespace: ref.namespaced ? (namespace ?? "") : "", name: name)
    }

    func notFound(_ ref: ResourceRef, _ name: String) -> APIError {
        APIError.notFound(group: ref.group, resource: ref.resource, name: name)
    }

    // MARK: reads

    func get(_ ref: ResourceRef, namespace: String?, name: String) throws -> JSONValue {
        guard let object = stored(ref, key(ref, namespace: namespace, name: name)) else { throw notFound(ref, name) }
        return object
    }

    /// Objects in key order; with `limit`, a page and a continue token (the last key returned).
    func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) throws -> JSONValue {
        let selection = try Selection(ref: ref, namespace: namespace, options: options)
        var listRevision = revision
        var after: ObjectKey?
        if let token = options.continueToken, !token.isEmpty {
            let parts = token.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let tokenRevision = Int64(parts[0]) else {
                throw APIError.badRequest("continue key is not valid: invalid continue token")
            }
            if tokenRevision < oldestWatchable {
                throw APIError.gone("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
            }
            listRevision = tokenRevision
            after = ObjectKey(namespace: String(parts[1]), name: String(parts[2]))
        }
        let all = (objects[Self.resourceKey(ref)] ?? [:])
            .filter { entry in (after.map { entry.key > $0 } ?? true) && selection.matches(entry.value, key: entry.key) }
            .sorted { $0.key < $1.key }
        var page = all[...]
        var metadata: JSONValue = ["resourceVersion": .string(String(listRevision))]
        if let limit = options.limit, limit > 0, all.count > limit {
            page = all.prefix(limit)
            let last = page.last!.key
            metadata["continue"] = .string("\(listRevision)/\(last.namespace)/\(last.name)")
            metadata["remainingItemCount"] = .int(Int64(all.count - limit))
        }
        let info = Self.info(ref)
        return [
            "kind": .string(info?.listKind ?? "List"),
            "apiVersion": .string(ref.group.isEmpty ? ref.version : "\(ref.group)/\(ref.version)"),
            "metadata": metadata,
            "items": .array(page.map(\.value)),
        ]
    }

    /// Registers a watcher after replaying what it missed; throws 410 when that is no longer known.
    mutating func watch(_ ref: ResourceRef, namespace: String?, options: ListOptions,
                        continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation) throws -> Int {
        let selection = try Selection(ref: ref, namespace: namespace, options: options)
        let watcher = Watcher(resource: Self.resourceKey(ref), selection: selection,
                              bookmarks: options.allowWatchBookmarks, continuation: continuation)
        let from = options.resourceVersion ?? ""
        if from.isEmpty || from == "0" {
            // No starting point: the current state as ADDED events, then what follows.
            for (key, object) in (objects[watcher.resource] ?? [:]).sorted(by: { $0.key < $1.key })
            where selection.matches(object, key: key) {
                continuation.yield(.added(object))
            }
        } else {
            guard let start = Int64(from) else {
                throw APIError.badRequest("invalid resource version \"\(from)\"")
            }
            if start < oldestWatchable {
                throw WatchError.expired(APIError.gone("too old resource version: \(start) (\(oldestWatchable))"))
            }
            var index = history.partitioningIndex { $0.revision > start }
            while index < history.count {
                if let event = watcher.event(for: history[index]) { continuation.yield(event) }
                index += 1
            }
        }
        nextWatcherID += 1
        watchers[nextWatcherID] = watcher
        return nextWatcherID
    }
}

extension Array {
    /// The first index whose element satisfies `belongs`, for an array where those come last.
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
