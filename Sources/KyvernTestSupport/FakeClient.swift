public import KyvernAPI
public import KyvernClient
import Synchronization

/// An in-memory API server behind the ``KubernetesClient`` protocol, for unit tests of
/// controllers, the scheduler and informers.
///
/// It keeps upstream's rules that components depend on: one increasing resourceVersion for every
/// change; uid, creationTimestamp and generation set on create; 404, 409 AlreadyExists and 409
/// Conflict (stale resourceVersion) with upstream's reasons and messages; label and field
/// selectors; watches that replay history from a resourceVersion (410 once ``expireHistory(closingWatches:)``
/// dropped it); `pods/binding`; status written only through the status subresource; finalizers,
/// the garbage collector's propagation finalizers and graceful pod deletion.
///
/// It does not validate or default objects, keeps `status` as given on create (so tests can seed
/// objects in any state), approximates strategic merge and apply patches (see `StrategicMergePatch`),
/// does not require namespaces to exist, and pages lists over the current state.
///
/// Every call is recorded in ``actions``; reactors (``prependReactor(verb:resource:times:_:)``,
/// ``failNext(_:verb:resource:with:)``) inject failures or canned answers.
public final class FakeClient: KubernetesClient, Sendable {
    let state = Mutex(FakeState())

    /// An empty cluster at resourceVersion 0.
    public init() {}

    // MARK: test controls

    /// Every call so far, in order.
    public var actions: [Action] { state.withLock { $0.actions } }

    /// The calls that could change something (everything but get, list and watch).
    public var writes: [Action] { actions.filter(\.isWrite) }

    /// Forgets the recorded actions (e.g. after a test's setup).
    public func clearActions() {
        state.withLock { $0.actions.removeAll() }
    }

    /// The resourceVersion of the latest change.
    public var resourceVersion: String { state.withLock { String($0.revision) } }

    /// Open watches (a stopped informer must leave none behind).
    public var watchCount: Int { state.withLock { $0.watchers.count } }

    /// The stored object, without recording an action.
    public func object(_ ref: ResourceRef, namespace: String? = nil, name: String) -> JSONValue? {
        state.withLock { $0.stored(ref, $0.key(ref, namespace: namespace, name: name)) }
    }

    /// The stored objects of a resource (one namespace, or all), in key order, without recording an action.
    public func objects(_ ref: ResourceRef, namespace: String? = nil) -> [JSONValue] {
        state.withLock { state in
            (state.objects[FakeState.resourceKey(ref)] ?? [:])
                .filter { namespace == nil || $0.key.namespace == namespace }
                .sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// Creates objects as a create call would, but bypassing reactors and the action record.
    @discardableResult
    public func seed(_ ref: ResourceRef, _ objects: JSONValue...) throws -> [JSONValue] {
        try state.withLock { state in
            try objects.map { try state.create(ref, namespace: $0.namespace, $0, dryRun: false) }
        }
    }

    /// Runs `react` before the fake's own handling of matching calls, newest reactor first.
    /// `verb` is a verb or "*"; `resource` is e.g. "pods" or "pods/binding" (nil: any).
    /// `react` throws to fail the call, returns an answer to short-circuit it, or nil to let it
    /// proceed. With `times`, the reactor is removed after that many matching calls.
    public func prependReactor(verb: String, resource: String? = nil, times: Int? = nil,
                               _ react: @escaping @Sendable (Action) throws -> JSONValue?) {
        state.withLock { $0.reactors.insert(Reactor(verb: verb, resource: resource, remaining: times, react: react), at: 0) }
    }

    /// The next `count` matching calls fail with `error` (e.g. an `APIError` 409 or 500).
    public func failNext(_ count: Int = 1, verb: String, resource: String? = nil, with error: any Error & Sendable) {
        prependReactor(verb: verb, resource: resource, times: count) { _ in throw error }
    }

    /// Forgets the change history: a watch (or continue token) from an older resourceVersion
    /// then fails with 410 Expired, as after an etcd compaction. With `closingWatches`, open
    /// watches end with ``WatchError/expired(_:)``, so an informer must re-list.
    public func expireHistory(closingWatches: Bool = true) {
        let closed = state.withLock { state -> [AsyncThrowingStream<WatchEvent, any Error>.Continuation] in
            state.history.removeAll()
            state.oldestWatchable = state.revision
            guard closingWatches else { return [] }
            defer { state.watchers.removeAll() }
            return state.watchers.values.map(\.continuation)
        }
        let error = WatchError.expired(APIError.gone("too old resource version"))
        // Outside the lock: finishing runs the streams' termination handlers, which take it.
        for continuation in closed { continuation.finish(throwing: error) }
    }

    /// Ends every open watch, normally (as a server timeout does) or with `error`.
    public func closeWatches(throwing error: (any Error)? = nil) {
        let closed = state.withLock { state in
            defer { state.watchers.removeAll() }
            return state.watchers.values.map(\.continuation)
        }
        for continuation in closed { continuation.finish(throwing: error) }
    }

    /// Sends a BOOKMARK at the current resourceVersion to the watches that asked for bookmarks.
    public func sendBookmarks() {
        state.withLock { state in
            for watcher in state.watchers.values where watcher.bookmarks {
                watcher.continuation.yield(.bookmark(["metadata": ["resourceVersion": .string(String(state.revision))]]))
            }
        }
    }

    /// Serves `document` at `path` (e.g. the discovery documents `/api`, `/apis/apps/v1`);
    /// nil stops serving it (a 404, as for a removed API group).
    public func serve(_ path: String, _ document: JSONValue?) {
        state.withLock { $0.documents[path] = document }
    }

    // MARK: KubernetesClient

    /// Recorded as a "get" whose resource is the path, so reactors can fail one path.
    public func getPath(_ path: String) async throws -> JSONValue {
        try perform(Action(verb: "get", resource: path)) { state in
            guard let document = state.documents[path] else {
                throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
            }
            return document
        }
    }

    /// Records the call, runs the first matching reactor, then (unless it answered) `body`.
    /// Reactors run outside the lock, so they may read the fake.
    private func perform(_ action: Action, _ body: (inout FakeState) throws -> JSONValue) throws -> JSONValue {
        let reactor = state.withLock { state -> Reactor? in
            state.actions.append(action)
            guard let index = state.reactors.firstIndex(where: { $0.matches(action) }) else { return nil }
            let reactor = state.reactors[index]
            if let remaining = reactor.remaining {
                if remaining <= 1 { state.reactors.remove(at: index) } else { state.reactors[index].remaining = remaining - 1 }
            }
            return reactor
        }
        if let reactor, let answer = try reactor.react(action) { return answer }
        return try state.withLock { try body(&$0) }
    }

    public func get(_ ref: ResourceRef, namespace: String?, name: String) async throws -> JSONValue {
        try perform(Action(verb: "get", resource: ref.resource, namespace: namespace, name: name)) {
            try $0.get(ref, namespace: namespace, name: name)
        }
    }

    public func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> JSONValue {
        try perform(Action(verb: "list", resource: ref.resource, namespace: namespace)) {
            try $0.list(ref, namespace: namespace, options: options)
        }
    }

    public func watch(_ ref: ResourceRef, namespace: String?,
                      options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent.self, throwing: (any Error).self)
        let id = Mutex<Int?>(nil)
        do {
            _ = try perform(Action(verb: "watch", resource: ref.resource, namespace: namespace)) { state in
                let registered = try state.watch(ref, namespace: namespace, options: options, continuation: continuation)
                id.withLock { $0 = registered }
                return .null
            }
        } catch {
            continuation.finish()
            throw error
        }
        let registered = id.withLock { $0 }
        continuation.onTermination = { [weak self] _ in
            guard let registered else { return }
            self?.state.withLock { _ = $0.watchers.removeValue(forKey: registered) }
        }
        return stream
    }

    public func create(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                       options: WriteOptions) async throws -> JSONValue {
        try perform(Action(verb: "create", resource: ref.resource, namespace: namespace ?? object.namespace,
                           name: object.name, body: object)) {
            try $0.create(ref, namespace: namespace, object, dryRun: options.dryRun)
        }
    }

    public func update(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                       options: WriteOptions) async throws -> JSONValue {
        try perform(Action(verb: "update", resource: ref.resource, namespace: namespace ?? object.namespace,
                           name: object.name, body: object)) {
            try $0.update(ref, namespace: namespace, object, dryRun: options.dryRun)
        }
    }

    public func updateStatus(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                             options: WriteOptions) async throws -> JSONValue {
        try perform(Action(verb: "update", resource: ref.resource, subresource: "status",
                           namespace: namespace ?? object.namespace, name: object.name, body: object)) {
            try $0.updateStatus(ref, namespace: namespace, object, dryRun: options.dryRun)
        }
    }

    public func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String?, type: PatchType,
                      _ patch: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try perform(Action(verb: "patch", resource: ref.resource, subresource: subresource, namespace: namespace,
                           name: name, body: patch)) {
            try $0.patch(ref, namespace: namespace, name: name, subresource: subresource, type: type, patch, options: options)
        }
    }

    @discardableResult
    public func delete(_ ref: ResourceRef, namespace: String?, name: String,
                       options: DeleteOptions) async throws -> JSONValue {
        try perform(Action(verb: "delete", resource: ref.resource, namespace: namespace, name: name)) {
            try $0.delete(ref, namespace: namespace, name: name, options: options)
        }
    }

    @discardableResult
    public func createSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                                  _ body: JSONValue) async throws -> JSONValue {
        try perform(Action(verb: "create", resource: ref.resource, subresource: subresource, namespace: namespace,
                           name: name, body: body)) {
            try $0.createSubresource(ref, namespace: namespace, name: name, subresource: subresource, body)
        }
    }

    public func updateSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                                  _ body: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try perform(Action(verb: "update", resource: ref.resource, subresource: subresource, namespace: namespace,
                           name: name, body: body)) {
            try $0.updateSubresource(ref, name: name, subresource: subresource, body, dryRun: options.dryRun)
        }
    }
}
