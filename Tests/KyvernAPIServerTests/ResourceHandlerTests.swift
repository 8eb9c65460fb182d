import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Logging
import Synchronization
import Testing

// MARK: - An in-memory Store for these tests

/// A small in-memory `Store` with etcd's semantics: one revision counter, compare-and-swap, reads and
/// ranges at past revisions (from the event log), compaction marks and watches that replay then follow.
final class MemoryStore: Store {
    private struct Watcher {
        var prefix: String
        var continuation: AsyncThrowingStream<[StoreEvent], any Error>.Continuation
    }

    private struct State {
        var revision: Int64 = 0
        var compacted: Int64 = 0
        var current: [String: KeyValue] = [:]
        var log: [StoreEvent] = []
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
        var closed = false

        func checkOpen() throws {
            if closed { throw StoreError.closed }
        }

        func checkReadable(_ revision: Int64?) throws {
            guard let revision else { return }
            if revision > self.revision { throw StoreError.futureRevision(requested: revision, current: self.revision) }
            if revision < compacted { throw StoreError.compacted(requested: revision, compactedRevision: compacted) }
        }

        mutating func commit(_ event: StoreEvent) {
            log.append(event)
            switch event.kind {
            case .put: current[event.kv.key] = event.kv
            case .delete: current[event.kv.key] = nil
            }
            for watcher in watchers.values where event.kv.key.hasPrefix(watcher.prefix) {
                watcher.continuation.yield([event])
            }
        }

        /// The live keys as of `revision`.
        func snapshot(at revision: Int64?) -> [String: KeyValue] {
            guard let revision, revision != self.revision else { return current }
            var state: [String: KeyValue] = [:]
            for event in log where event.revision <= revision {
                switch event.kind {
                case .put: state[event.kv.key] = event.kv
                case .delete: state[event.kv.key] = nil
                }
            }
            return state
        }
    }

    private let state = Mutex(State())

    /// Every write so far, for assertions.
    var log: [StoreEvent] { state.withLock { $0.log } }

    func currentRevision() async throws -> Int64 {
        try state.withLock { s in
            try s.checkOpen()
            return s.revision
        }
    }

    func compactedRevision() async throws -> Int64 {
        try state.withLock { s in
            try s.checkOpen()
            return s.compacted
        }
    }

    func create(key: String, value: [UInt8]) async throws -> KeyValue {
        try state.withLock { s in
            try s.checkOpen()
            if s.current[key] != nil { throw StoreError.keyExists(key: key) }
            s.revision += 1
            let kv = KeyValue(key: key, value: value, createRevision: s.revision, modRevision: s.revision)
            s.commit(StoreEvent(kind: .put, kv: kv, previous: nil))
            return kv
        }
    }

    func update(key: String, value: [UInt8], expectedRevision: Int64) async throws -> KeyValue {
        try state.withLock { s in
            try s.checkOpen()
            guard let existing = s.current[key] else { throw StoreError.notFound(key: key) }
            guard existing.modRevision == expectedRevision else { throw StoreError.conflict(key: key, current: existing) }
            s.revision += 1
            let kv = KeyValue(key: key, value: value, createRevision: existing.createRevision, modRevision: s.revision)
            s.commit(StoreEvent(kind: .put, kv: kv, previous: existing))
            return kv
        }
    }

    func delete(key: String, expectedRevision: Int64?) async throws -> (revision: Int64, previous: KeyValue) {
        try state.withLock { s in
            try s.checkOpen()
            guard let existing = s.current[key] else { throw StoreError.notFound(key: key) }
            if let expectedRevision, existing.modRevision != expectedRevision {
                throw StoreError.conflict(key: key, current: existing)
            }
            s.revision += 1
            let tombstone = KeyValue(key: key, value: [], createRevision: 0, modRevision: s.revision)
            s.commit(StoreEvent(kind: .delete, kv: tombstone, previous: existing))
            return (s.revision, existing)
        }
    }

    func get(key: String, revision: Int64?) async throws -> KeyValue? {
        try state.withLock { s in
            try s.checkOpen()
            try s.checkReadable(revision)
            return s.snapshot(at: revision)[key]
        }
    }

    func range(prefix: String, startKey: String?, limit: Int?, revision: Int64?) async throws -> RangeResult {
        try state.withLock { s in
            try s.checkOpen()
            try s.checkReadable(revision)
            let start = Array((startKey ?? prefix).utf8)
            let keys = s.snapshot(at: revision).values
                .filter { $0.key.hasPrefix(prefix) && !Array($0.key.utf8).lexicographicallyPrecedes(start) }
                .sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            if let limit, limit > 0, keys.count > limit {
                return RangeResult(items: Array(keys.prefix(limit)), more: true, revision: revision ?? s.revision)
            }
            return RangeResult(items: keys, more: false, revision: revision ?? s.revision)
        }
    }

    func watch(prefix: String, startRevision: Int64) -> AsyncThrowingStream<[StoreEvent], any Error> {
        let (stream, continuation) = AsyncThrowingStream<[StoreEvent], any Error>.makeStream()
        let id: Int? = state.withLock { s in
            if startRevision > 0 && startRevision <= s.compacted {
                continuation.finish(throwing: StoreError.compacted(requested: startRevision, compactedRevision: s.compacted))
                return nil
            }
            if startRevision > 0 {
                let replay = s.log.filter { $0.revision >= startRevision && $0.kv.key.hasPrefix(prefix) }
                if !replay.isEmpty { continuation.yield(replay) }
            }
            let id = s.nextWatcher
            s.nextWatcher += 1
            s.watchers[id] = Watcher(prefix: prefix, continuation: continuation)
            return id
        }
        if let id {
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { s in _ = s.watchers.removeValue(forKey: id) }
            }
        }
        return stream
    }

    func compact(revision: Int64) async throws {
        try state.withLock { s in
            try s.checkOpen()
            if revision <= s.compacted { throw StoreError.compacted(requested: revision, compactedRevision: s.compacted) }
            if revision > s.revision { throw StoreError.futureRevision(requested: revision, current: s.revision) }
            s.compacted = revision
        }
    }

    func close() async throws {
        state.withLock { s in
            s.closed = true
            for watcher in s.watchers.values { watcher.continuation.finish() }
            s.watchers = [:]
        }
    }
}

private let handlerSchemas = Result { try SchemaSet.bundled() }

// MARK: - The harness

/// A handler over a `MemoryStore`, its watch cache fed by the store's watch as the API server feeds it.
private struct Harness {
    let store: MemoryStore
    let cache: WatchCache
    let handler: ResourceHandler

    static func run(_ body: (Harness) async throws -> Void) async throws {
        let logger = Logger(label: "kyvern.test.handler")
        let store = MemoryStore()
        let cache = WatchCache(logger: logger)
        await cache.load([], revision: 0)
        let handler = ResourceHandler(storage: ObjectStorage(store: store, cache: cache),
                                      pruner: SchemaPruner(schemas: try handlerSchemas.get()), logger: logger)
        let harness = Harness(store: store, cache: cache, handler: handler)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await batch in store.watch(prefix: StorageKeys.root, startRevision: 1) {
                    await cache.apply(batch)
                }
            }
            do {
                try await body(harness)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    struct Response {
        var status: Int
        var body: JSONValue
        var warnings: [String]
    }

    func request(_ method: String, _ path: String, query: String? = nil, body: JSONValue? = nil,
                 raw: String? = nil, contentType: String? = "application/json") throws -> ResourceRequest {
        let target = try #require(RequestTarget.parse(path.split(separator: "/")), "\(path)")
        let info = try #require(ResourceCatalog.find(group: target.group, version: target.version, resource: target.resource))
        let bytes = raw.map { Array($0.utf8) } ?? body?.serialized() ?? []
        return ResourceRequest(method: method, target: target, info: info, query: QueryParameters(query),
                               body: bytes, contentType: contentType, accept: nil)
    }

    func send(_ method: String, _ path: String, query: String? = nil, body: JSONValue? = nil, raw: String? = nil,
              contentType: String? = "application/json") async throws -> Response {
        var request = try self.request(method, path, query: query, body: body, raw: raw, contentType: contentType)
        let reply = try await handler.handle(&request)
        guard case .json(let status, let bytes, _) = reply else {
            Issue.record("expected a JSON reply to \(method) \(path)")
            throw APIError.internalError("watch reply")
        }
        return Response(status: status, body: try JSONValue.parse(bytes), warnings: request.warnings)
    }

    /// The APIError a request fails with (nil, recorded as an issue, when it succeeds).
    func failure(_ method: String, _ path: String, query: String? = nil, body: JSONValue? = nil, raw: String? = nil,
                 contentType: String? = "application/json",
                 sourceLocation: SourceLocation = #_sourceLocation) async -> APIError? {
        do {
            let response = try await send(method, path, query: query, body: body, raw: raw, contentType: contentType)
            Issue.record("\(method) \(path) succeeded with \(response.status)", sourceLocation: sourceLocation)
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("\(method) \(path) failed with \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @discardableResult
    func createNamespace(_ name: String) async throws -> Response {
        let created = try await send("POST", "/api/v1/namespaces", body: ["metadata": ["name": .string(name)]])
        // As the serviceaccount controller would: pods need their account to exist.
        _ = try await send("POST", "/api/v1/namespaces/\(name)/serviceaccounts", body: ["metadata": ["name": "default"]])
        return created
    }

    @discardableResult
    func createConfigMap(_ namespace: String, _ name: String, labels: [String: String] = [:],
                         finalizers: [String] = []) async throws -> Response {
        var meta: JSONValue = ["name": .string(name)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues(JSONValue.string)) }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers.map(JSONValue.string)) }
        return try await send("POST", "/api/v1/namespaces/\(namespace)/configmaps",
                              body: ["apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": ["k": "v"]])
    }

    static func deployment(_ name: String, replicas: Int64 = 2) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name)],
            "spec": [
                "replicas": .int(replicas),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "c", "image": "nginx"]]],
                ],
            ],
        ]
    }

    static func pod(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
         "spec": ["containers": [["name": "c", "image": "busybox"]]]]
    }

    func names(_ list: JSONValue) -> [String] {
        (list["items"]?.arrayValue ?? []).compactMap { $0[path: ["metadata", "name"]]?.stringValue }
    }
}

// MARK: - Tests

@Suite("ResourceHandler over an in-memory store")
struct ResourceHandlerTests {
    // MARK: create

    @Test("create answers 201 with uid, creationTimestamp, generation 1 and the store's revision")
    func create() async throws {
        try await Harness.run { h in
            try await h.createNamespace("default")
            let response = try await h.send("POST", "/apis/apps/v1/namespaces/default/deployments",
                                            body: Harness.deployment("web"))
            #expect(response.status == 201)
            let object = response.body
            #expect(object.kind == "Deployment")
            #expect(object.apiVersion == "apps/v1")
            #expect(object.name == "web")
            #expect(object.namespace == "default")
            let uid = try #require(object.uid)
            #expect(UUID(uuidString: uid) != nil, "\(uid)")
            let created = try #require(object.creationTimestamp)
            #expect(Timestamp.parse(created) != nil, "\(created)")
            #expect(object.generation == 1)
            let revision = try await h.store.currentRevision()
            #expect(object.resourceVersion == String(revision))
            #expect(object[path: ["spec", "replicas"]] == 2)
            // The store keeps the object without a resourceVersion; the revision stands for it.
            let stored = try #require(try await h.store.get(key: "/registry/apps/deployments/default/web", revision: nil))
            #expect(stored.modRevision == revision)
            #expect(try JSONValue.parse(stored.value).resourceVersion == nil)
            // A GET serves the same object.
            let got = try await h.send("GET", "/apis/apps/v1/namespaces/default/deployments/web")
            #expect(got.status == 200)
            #expect(got.body == object)
        }
    }

    @Test("create fills apiVersion, kind and namespace, and ignores client-set identity")
    func createStamps() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let response = try await h.send("POST", "/api/v1/namespaces/ns/configmaps", body: [
                "metadata": ["name": "c", "uid": "forged", "resourceVersion": "999", "generation": 7,
                             "creationTimestamp": "2001-01-01T00:00:00Z"],
            ])
            #expect(response.body.apiVersion == "v1")
            #expect(response.body.kind == "ConfigMap")
            #expect(response.body.namespace == "ns")
            #expect(response.body.uid != "forged")
            #expect(response.body.creationTimestamp != "2001-01-01T00:00:00Z")
            #expect(response.body.resourceVersion == String(try await h.store.currentRevision()))
            // A ConfigMap has no spec, so no generation.
            #expect(response.body.generation == nil)
        }
    }

    @Test("a new namespace is Active with its name label and the kubernetes finalizer")
    func createNamespace() async throws {
        try await Harness.run { h in
            let ns = try await h.createNamespace("team-a")
            #expect(ns.status == 201)
            #expect(ns.body[path: ["status", "phase"]] == "Active")
            #expect(ns.body.labels == ["kubernetes.io/metadata.name": "team-a"])
            #expect(ns.body[path: ["spec", "finalizers"]] == ["kubernetes"])
        }
    }

    @Test("a new pod is Pending with its QoS class")
    func createPod() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            var pod = Harness.pod("p")
            pod["status"] = ["phase": "Running"]
            let created = try await h.send("POST", "/api/v1/namespaces/ns/pods", body: pod)
            #expect(created.body["status"] == ["phase": "Pending", "qosClass": "BestEffort"])
            #expect(created.body.generation == 1)
        }
    }

    @Test("create in a namespace that does not exist is 404")
    func createMissingNamespace() async throws {
        try await Harness.run { h in
            let error = await h.failure("POST", "/api/v1/namespaces/missing/configmaps", body: ["metadata": ["name": "c"]])
            #expect(error?.code == 404)
            #expect(error?.reason == "NotFound")
            #expect(error?.message == "namespaces \"missing\" not found")
            let revision = try await h.store.currentRevision()
            #expect(revision == 0)
        }
    }

    @Test("a body namespace that differs from the path is 400")
    func namespaceMismatch() async throws {
        try await Harness.run { h in
            try await h.createNamespace("a")
            let error = await h.failure("POST", "/api/v1/namespaces/a/configmaps",
                                        body: ["metadata": ["name": "c", "namespace": "b"]])
            #expect(error?.code == 400)
        }
    }

    @Test("generateName makes a fresh name per create")
    func generateName() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let body: JSONValue = ["metadata": ["generateName": "job-"]]
            let a = try await h.send("POST", "/api/v1/namespaces/ns/configmaps", body: body)
            let b = try await h.send("POST", "/api/v1/namespaces/ns/configmaps", body: body)
            let nameA = try #require(a.body.name)
            let nameB = try #require(b.body.name)
            #expect(a.status == 201)
            #expect(nameA.hasPrefix("job-"))
            #expect(nameA.count == "job-".count + 5)
            #expect(nameA.dropFirst(4).allSatisfy { NameGenerator.alphabet.contains($0) })
            #expect(nameA != nameB)
            #expect(a.body.generateName == "job-")
            _ = try await h.send("GET", "/api/v1/namespaces/ns/configmaps/\(nameA)")
        }
    }

    @Test("no name and no generateName is 422")
    func nameRequired() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let error = await h.failure("POST", "/api/v1/namespaces/ns/configmaps", body: ["data": ["k": "v"]])
            #expect(error?.code == 422)
            #expect(error?.details?.causes.first?.field == "metadata.name")
        }
    }

    @Test("creating an existing name is 409 AlreadyExists")
    func alreadyExists() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            try await h.createConfigMap("ns", "c")
            let error = await h.failure("POST", "/api/v1/namespaces/ns/configmaps", body: ["metadata": ["name": "c"]])
            #expect(error?.code == 409)
            #expect(error?.reason == "AlreadyExists")
            #expect(error?.message == "configmaps \"c\" already exists")
        }
    }

    // MARK: update

    @Test("update with the current resourceVersion succeeds; with a stale one it is 409")
    func updateConflict() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let created = try await h.createConfigMap("ns", "c").body
            var first = created
            first["data"] = ["k": "v2"]
            let updated = try await h.send("PUT", "/api/v1/namespaces/ns/configmaps/c", body: first)
            #expect(updated.status == 200)
            #expect(updated.body[path: ["data", "k"]] == "v2")
            #expect(updated.body.resourceVersion != created.resourceVersion)
            #expect(updated.body.uid == created.uid)
            var stale = created
            stale["data"] = ["k": "v3"]
            let error = await h.failure("PUT", "/api/v1/namespaces/ns/configmaps/c", body: stale)
            #expect(error?.code == 409)
            #expect(error?.reason == "Conflict")
            #expect(error?.message.contains("the object has been modified") == true)
            let current = try await h.send("GET", "/api/v1/namespaces/ns/configmaps/c")
            #expect(current.body[path: ["data", "k"]] == "v2")
        }
    }

    @Test("update without a resourceVersion is unconditional; a no-op keeps the resourceVersion")
    func updateUnconditional() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let created = try await h.createConfigMap("ns", "c").body
            let revision = try await h.store.currentRevision()
            // The same object again: nothing to write.
            let same = try await h.send("PUT", "/api/v1/namespaces/ns/configmaps/c", body: created)
            #expect(same.body.resourceVersion == created.resourceVersion)
            #expect(try await h.store.currentRevision() == revision)
            var body = created
            body.resourceVersion = nil
            body["data"] = ["k": "changed"]
            let changed = try await h.send("PUT", "/api/v1/namespaces/ns/configmaps/c", body: body)
            #expect(changed.body[path: ["data", "k"]] == "changed")
            #expect(try await h.store.currentRevision() == revision + 1)
        }
    }

    @Test("update of a missing object is 404; a name differing from the URL is 400")
    func updateMissing() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let missing = await h.failure("PUT", "/api/v1/namespaces/ns/configmaps/nope", body: ["metadata": ["name": "nope"]])
            #expect(missing?.code == 404)
            try await h.createConfigMap("ns", "c")
            let renamed = await h.failure("PUT", "/api/v1/namespaces/ns/configmaps/c", body: ["metadata": ["name": "d"]])
            #expect(renamed?.code == 400)
        }
    }

    @Test("generation is bumped by spec changes only")
    func generation() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let path = "/apis/apps/v1/namespaces/ns/deployments/web"
            var object = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments", body: Harness.deployment("web")).body
            #expect(object.generation == 1)
            object.labels = ["tier": "front"]
            object = try await h.send("PUT", path, body: object).body
            #expect(object.labels == ["tier": "front"])
            #expect(object.generation == 1)
            object[path: ["spec", "replicas"]] = 4
            object = try await h.send("PUT", path, body: object).body
            #expect(object.generation == 2)
            // A client cannot set the generation.
            object.generation = 40
            object.annotations = ["a": "b"]
            object = try await h.send("PUT", path, body: object).body
            #expect(object.generation == 2)
            // Patches bump it too.
            object = try await h.send("PATCH", path, body: ["spec": ["replicas": 6]],
                                      contentType: "application/merge-patch+json").body
            #expect(object.generation == 3)
            #expect(object[path: ["spec", "replicas"]] == 6)
        }
    }

    @Test("the status subresource changes status only; the main resource leaves status alone")
    func statusSubresource() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let path = "/apis/apps/v1/namespaces/ns/deployments/web"
            let created = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments", body: Harness.deployment("web")).body
            #expect(created["status"] == [:])

            var statusUpdate = created
            statusUpdate["status"] = ["replicas": 2, "readyReplicas": 1]
            statusUpdate[path: ["spec", "replicas"]] = 9
            statusUpdate.labels = ["sneaky": "yes"]
            let afterStatus = try await h.send("PUT", path + "/status", body: statusUpdate).body
            #expect(afterStatus["status"] == ["replicas": 2, "readyReplicas": 1])
            #expect(afterStatus[path: ["spec", "replicas"]] == 2)
            #expect(afterStatus.generation == 1)
            #expect(afterStatus.resourceVersion != created.resourceVersion)

            var mainUpdate = afterStatus
            mainUpdate["status"] = ["replicas": 100]
            mainUpdate[path: ["spec", "replicas"]] = 3
            let afterMain = try await h.send("PUT", path, body: mainUpdate).body
            #expect(afterMain["status"] == ["replicas": 2, "readyReplicas": 1])
            #expect(afterMain[path: ["spec", "replicas"]] == 3)
            #expect(afterMain.generation == 2)

            // GET of the status subresource is the whole object.
            let got = try await h.send("GET", path + "/status")
            #expect(got.body == afterMain)

            // A merge patch of status.
            let patched = try await h.send("PATCH", path + "/status", body: ["status": ["readyReplicas": 3]],
                                           contentType: "application/merge-patch+json").body
            #expect(patched["status"] == ["replicas": 2, "readyReplicas": 3])
            #expect(patched[path: ["spec", "replicas"]] == 3)
        }
    }

    @Test("a status update with a stale resourceVersion is 409")
    func statusConflict() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let created = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments", body: Harness.deployment("web")).body
            var first = created
            first["status"] = ["replicas": 1]
            _ = try await h.send("PUT", "/apis/apps/v1/namespaces/ns/deployments/web/status", body: first)
            var stale = created
            stale["status"] = ["replicas": 5]
            let error = await h.failure("PUT", "/apis/apps/v1/namespaces/ns/deployments/web/status", body: stale)
            #expect(error?.code == 409)
        }
    }

    // MARK: dry run

    @Test("dryRun=All stores nothing")
    func dryRun() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let before = try await h.store.currentRevision()
            let created = try await h.send("POST", "/api/v1/namespaces/ns/configmaps", query: "dryRun=All",
                                           body: ["metadata": ["name": "dry"], "data": ["k": "v"]])
            #expect(created.status == 201)
            #expect(created.body.name == "dry")
            #expect(created.body.uid != nil)
            #expect(try await h.store.currentRevision() == before)
            #expect(await h.failure("GET", "/api/v1/namespaces/ns/configmaps/dry")?.code == 404)

            let real = try await h.createConfigMap("ns", "real").body
            let revision = try await h.store.currentRevision()
            var update = real
            update["data"] = ["k": "dry"]
            let updated = try await h.send("PUT", "/api/v1/namespaces/ns/configmaps/real", query: "dryRun=All", body: update)
            #expect(updated.body[path: ["data", "k"]] == "dry")
            _ = try await h.send("DELETE", "/api/v1/namespaces/ns/configmaps/real", query: "dryRun=All")
            #expect(try await h.store.currentRevision() == revision)
            let got = try await h.send("GET", "/api/v1/namespaces/ns/configmaps/real")
            #expect(got.body == real)
        }
    }

    @Test("an unsupported dryRun value is 422")
    func dryRunInvalid() async throws {
        try await Harness.run { h in
            let error = await h.failure("GET", "/api/v1/namespaces/ns/configmaps", query: "dryRun=Some")
            #expect(error?.code == 422)
        }
    }

    // MARK: delete and finalizers

    @Test("delete answers a Success Status and the object is gone")
    func delete() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let created = try await h.createConfigMap("ns", "c").body
            let response = try await h.send("DELETE", "/api/v1/namespaces/ns/configmaps/c")
            #expect(response.status == 200)
            #expect(response.body["kind"] == "Status")
            #expect(response.body["status"] == "Success")
            #expect(response.body[path: ["details", "name"]] == "c")
            #expect(response.body[path: ["details", "kind"]] == "configmaps")
            #expect(response.body[path: ["details", "uid"]] == .string(created.uid ?? "-"))
            #expect(await h.failure("GET", "/api/v1/namespaces/ns/configmaps/c")?.code == 404)
            #expect(await h.failure("DELETE", "/api/v1/namespaces/ns/configmaps/c")?.code == 404)
        }
    }

    @Test("delete preconditions: a wrong uid is 409")
    func deletePrecondition() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            try await h.createConfigMap("ns", "c")
            let error = await h.failure("DELETE", "/api/v1/namespaces/ns/configmaps/c",
                                        body: ["kind": "DeleteOptions", "apiVersion": "v1", "preconditions": ["uid": "nope"]])
            #expect(error?.code == 409)
            _ = try await h.send("GET", "/api/v1/namespaces/ns/configmaps/c")
        }
    }

    @Test("finalizers keep a deleted object, with deletionTimestamp, until the last one is removed")
    func finalizers() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let path = "/api/v1/namespaces/ns/configmaps/c"
            try await h.createConfigMap("ns", "c", finalizers: ["example.com/a", "example.com/b"])
            let marked = try await h.send("DELETE", path)
            #expect(marked.status == 200)
            #expect(marked.body.kind == "ConfigMap")
            let deletionTimestamp = try #require(marked.body.deletionTimestamp)
            #expect(Timestamp.parse(deletionTimestamp) != nil)
            #expect(marked.body[path: ["metadata", "deletionGracePeriodSeconds"]] == 0)

            // Still there, and a second delete changes nothing.
            let got = try await h.send("GET", path)
            #expect(got.body.deletionTimestamp == deletionTimestamp)
            let again = try await h.send("DELETE", path)
            #expect(again.body.deletionTimestamp == deletionTimestamp)
            #expect(again.body.resourceVersion == marked.body.resourceVersion)

            // An update cannot clear deletionTimestamp.
            var update = got.body
            update.deletionTimestamp = nil
            update["data"] = ["k": "late"]
            update[path: ["metadata", "finalizers"]] = ["example.com/b"]
            let updated = try await h.send("PUT", path, body: update)
            #expect(updated.body.deletionTimestamp == deletionTimestamp)
            #expect(updated.body[path: ["metadata", "finalizers"]] == ["example.com/b"])

            // Removing the last finalizer deletes the object.
            _ = try await h.send("PATCH", path, body: ["metadata": ["finalizers": nil]],
                                 contentType: "application/merge-patch+json")
            #expect(await h.failure("GET", path)?.code == 404)
            #expect(try await h.store.get(key: "/registry/core/configmaps/ns/c", revision: nil) == nil)
        }
    }

    // MARK: list

    @Test("list with label and field selectors")
    func listSelectors() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            try await h.createNamespace("other")
            try await h.createConfigMap("ns", "a", labels: ["app": "web", "tier": "front"])
            try await h.createConfigMap("ns", "b", labels: ["app": "web", "tier": "back"])
            try await h.createConfigMap("ns", "c", labels: ["app": "db"])
            try await h.createConfigMap("other", "d", labels: ["app": "web"])

            let all = try await h.send("GET", "/api/v1/namespaces/ns/configmaps")
            #expect(all.body["kind"] == "ConfigMapList")
            #expect(all.body["apiVersion"] == "v1")
            #expect(h.names(all.body) == ["a", "b", "c"])
            #expect(all.body[path: ["metadata", "resourceVersion"]] == .string(String(try await h.store.currentRevision())))

            let web = try await h.send("GET", "/api/v1/namespaces/ns/configmaps", query: "labelSelector=app%3Dweb")
            #expect(h.names(web.body) == ["a", "b"])
            let set = try await h.send("GET", "/api/v1/namespaces/ns/configmaps", query: "labelSelector=tier+in+(back),app")
            #expect(h.names(set.body) == ["b"])
            let everywhere = try await h.send("GET", "/api/v1/configmaps", query: "labelSelector=app=web")
            #expect(h.names(everywhere.body) == ["a", "b", "d"])

            let byName = try await h.send("GET", "/api/v1/configmaps", query: "fieldSelector=metadata.name%3Dc")
            #expect(h.names(byName.body) == ["c"])
            let byNamespace = try await h.send("GET", "/api/v1/configmaps", query: "fieldSelector=metadata.namespace!=ns")
            #expect(h.names(byNamespace.body) == ["d"])

            let unsupported = await h.failure("GET", "/api/v1/configmaps", query: "fieldSelector=data.k%3Dv")
            #expect(unsupported?.code == 400)
            #expect(unsupported?.message.contains("field label not supported") == true)
        }
    }

    @Test("pods by spec.nodeName and status.phase field selectors")
    func podFieldSelectors() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            for name in ["p1", "p2", "p3"] { _ = try await h.send("POST", "/api/v1/namespaces/ns/pods", body: Harness.pod(name)) }
            _ = try await h.send("POST", "/api/v1/namespaces/ns/pods/p2/binding",
                                 body: ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "p2"],
                                        "target": ["kind": "Node", "name": "n1"]])
            let onNode = try await h.send("GET", "/api/v1/pods", query: "fieldSelector=spec.nodeName%3Dn1")
            #expect(h.names(onNode.body) == ["p2"])
            let unscheduled = try await h.send("GET", "/api/v1/pods", query: "fieldSelector=spec.nodeName%3D")
            #expect(h.names(unscheduled.body) == ["p1", "p3"])
            let pending = try await h.send("GET", "/api/v1/namespaces/ns/pods", query: "fieldSelector=status.phase%3DPending")
            #expect(h.names(pending.body) == ["p1", "p2", "p3"])
        }
    }

    @Test("list with limit and continue pages through one consistent snapshot")
    func listPages() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            for i in 1...5 { try await h.createConfigMap("ns", "cm-\(i)") }
            let path = "/api/v1/namespaces/ns/configmaps"

            let page1 = try await h.send("GET", path, query: "limit=2").body
            #expect(h.names(page1) == ["cm-1", "cm-2"])
            let revision = try #require(page1[path: ["metadata", "resourceVersion"]]?.stringValue)
            let token1 = try #require(page1[path: ["metadata", "continue"]]?.stringValue)

            // Writes after the first page do not show in the later ones.
            try await h.createConfigMap("ns", "cm-4a")
            _ = try await h.send("DELETE", path + "/cm-5")

            let page2 = try await h.send("GET", path, query: "limit=2&continue=\(token1)").body
            #expect(h.names(page2) == ["cm-3", "cm-4"])
            #expect(page2[path: ["metadata", "resourceVersion"]] == .string(revision))
            let token2 = try #require(page2[path: ["metadata", "continue"]]?.stringValue)

            let page3 = try await h.send("GET", path, query: "limit=2&continue=\(token2)").body
            #expect(h.names(page3) == ["cm-5"])
            #expect(page3[path: ["metadata", "continue"]] == nil)
            #expect(page3[path: ["metadata", "resourceVersion"]] == .string(revision))

            // A fresh list sees the writes.
            let fresh = try await h.send("GET", path).body
            #expect(h.names(fresh) == ["cm-1", "cm-2", "cm-3", "cm-4", "cm-4a"])
        }
    }

    @Test("limit with a label selector returns matching items only")
    func limitWithSelector() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            for i in 1...6 { try await h.createConfigMap("ns", "cm-\(i)", labels: ["odd": i % 2 == 1 ? "yes" : "no"]) }
            var names: [String] = []
            var query = "limit=2&labelSelector=odd%3Dyes"
            for _ in 0..<10 {
                let page = try await h.send("GET", "/api/v1/namespaces/ns/configmaps", query: query).body
                names += h.names(page)
                #expect(h.names(page).count <= 2)
                guard let token = page[path: ["metadata", "continue"]]?.stringValue else { break }
                query = "limit=2&labelSelector=odd%3Dyes&continue=\(token)"
            }
            #expect(names == ["cm-1", "cm-3", "cm-5"])
        }
    }

    @Test("a continue token for another namespace is 400")
    func foreignContinue() async throws {
        try await Harness.run { h in
            try await h.createNamespace("a")
            try await h.createNamespace("b")
            for i in 1...3 { try await h.createConfigMap("a", "cm-\(i)") }
            let page = try await h.send("GET", "/api/v1/namespaces/a/configmaps", query: "limit=1").body
            let token = try #require(page[path: ["metadata", "continue"]]?.stringValue)
            let error = await h.failure("GET", "/api/v1/namespaces/b/configmaps", query: "limit=1&continue=\(token)")
            #expect(error?.code == 400)
        }
    }

    // MARK: scale

    @Test("scale subresource: get and update")
    func scale() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let path = "/apis/apps/v1/namespaces/ns/deployments/web"
            let created = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments",
                                           body: Harness.deployment("web", replicas: 2)).body
            let scale = try await h.send("GET", path + "/scale")
            #expect(scale.status == 200)
            #expect(scale.body["kind"] == "Scale")
            #expect(scale.body["apiVersion"] == "autoscaling/v1")
            #expect(scale.body.name == "web")
            #expect(scale.body.namespace == "ns")
            #expect(scale.body.uid == created.uid)
            #expect(scale.body.resourceVersion == created.resourceVersion)
            #expect(scale.body[path: ["spec", "replicas"]] == 2)
            #expect(scale.body[path: ["status", "replicas"]] == 0)
            #expect(scale.body[path: ["status", "selector"]] == "app=web")

            var update = scale.body
            update[path: ["spec", "replicas"]] = 5
            let scaled = try await h.send("PUT", path + "/scale", body: update)
            #expect(scaled.status == 200)
            #expect(scaled.body["kind"] == "Scale")
            #expect(scaled.body[path: ["spec", "replicas"]] == 5)
            let deployment = try await h.send("GET", path).body
            #expect(deployment[path: ["spec", "replicas"]] == 5)
            #expect(deployment.generation == 2)
            #expect(scaled.body.resourceVersion == deployment.resourceVersion)

            // The old Scale's resourceVersion is stale now.
            var stale = scale.body
            stale[path: ["spec", "replicas"]] = 7
            #expect(await h.failure("PUT", path + "/scale", body: stale)?.code == 409)

            // A negative count is invalid.
            let negative = await h.failure("PUT", path + "/scale", body: ["spec": ["replicas": -1]])
            #expect(negative?.code == 422)

            // A merge patch of the Scale.
            let patched = try await h.send("PATCH", path + "/scale", body: ["spec": ["replicas": 1]],
                                           contentType: "application/merge-patch+json")
            #expect(patched.body[path: ["spec", "replicas"]] == 1)
            #expect(try await h.send("GET", path).body[path: ["spec", "replicas"]] == 1)
        }
    }

    @Test("scale of a missing object is 404; resources without scale have no such subresource")
    func scaleMissing() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            #expect(await h.failure("GET", "/apis/apps/v1/namespaces/ns/deployments/none/scale")?.code == 404)
            try await h.createConfigMap("ns", "c")
            #expect(await h.failure("GET", "/api/v1/namespaces/ns/configmaps/c/scale")?.code == 404)
        }
    }

    @Test("a Scale without spec.replicas scales to 0, as Go clients omit a zero count")
    func scaleToZeroOmitted() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let path = "/apis/apps/v1/namespaces/ns/deployments/web"
            _ = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments", body: Harness.deployment("web", replicas: 3))
            var scale = try await h.send("GET", path + "/scale").body
            scale["spec"] = [:]
            let scaled = try await h.send("PUT", path + "/scale", body: scale)
            #expect(scaled.body[path: ["spec", "replicas"]] == 0)
            #expect(try await h.send("GET", path).body[path: ["spec", "replicas"]] == 0)
        }
    }

    // MARK: events.k8s.io

    @Test("events.k8s.io/v1 events are the core/v1 events in another shape")
    func eventsShareStorage() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let v1 = "/apis/events.k8s.io/v1/namespaces/ns/events"
            let created = try await h.send("POST", v1, body: [
                "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "e"],
                "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "sched",
                "reportingInstance": "sched-1", "action": "Bind", "reason": "Scheduled", "note": "bound",
                "type": "Normal", "regarding": ["kind": "Pod", "namespace": "ns", "name": "web"],
            ])
            #expect(created.status == 201)
            #expect(created.body["apiVersion"] == "events.k8s.io/v1")
            #expect(created.body["note"] == "bound")
            let core = try await h.send("GET", "/api/v1/namespaces/ns/events/e").body
            #expect(core["message"] == "bound")
            #expect(core["reportingComponent"] == "sched")
            #expect(core[path: ["involvedObject", "name"]] == "web")
            #expect(core.resourceVersion == created.body.resourceVersion)

            let list = try await h.send("GET", v1, query: "fieldSelector=regarding.name%3Dweb").body
            #expect(list["kind"] == "EventList")
            #expect(list["apiVersion"] == "events.k8s.io/v1")
            #expect(list["items"]?.arrayValue?.map { $0["note"] } == ["bound"])
            let none = try await h.send("GET", v1, query: "fieldSelector=reportingController%3Dother").body
            #expect(none["items"] == [])
            #expect(await h.failure("GET", v1, query: "fieldSelector=source%3Dx")
                == APIError.badRequest("field label not supported: source"))

            #expect(await h.failure("GET", v1 + "/none") == APIError.notFound(group: "events.k8s.io", resource: "events", name: "none"))
            let deleted = try await h.send("DELETE", v1 + "/e")
            #expect(deleted.body[path: ["details", "group"]] == "events.k8s.io")
            #expect(await h.failure("GET", "/api/v1/namespaces/ns/events/e")?.code == 404)
        }
    }

    // MARK: binding

    @Test("binding sets spec.nodeName once; a second bind is 409")
    func binding() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            _ = try await h.send("POST", "/api/v1/namespaces/ns/pods", body: Harness.pod("p"))
            let binding: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "p"],
                                      "target": ["apiVersion": "v1", "kind": "Node", "name": "node-1"]]
            let bound = try await h.send("POST", "/api/v1/namespaces/ns/pods/p/binding", body: binding)
            #expect(bound.status == 201)
            #expect(bound.body["kind"] == "Status")
            #expect(bound.body["status"] == "Success")
            let pod = try await h.send("GET", "/api/v1/namespaces/ns/pods/p").body
            #expect(pod[path: ["spec", "nodeName"]] == "node-1")
            let scheduled = pod[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"] == "PodScheduled" }
            #expect(scheduled?["status"] == "True")

            var again = binding
            again[path: ["target", "name"]] = "node-2"
            let error = await h.failure("POST", "/api/v1/namespaces/ns/pods/p/binding", body: again)
            #expect(error?.code == 409)
            #expect(error?.message.contains("already assigned") == true)
            #expect(try await h.send("GET", "/api/v1/namespaces/ns/pods/p").body[path: ["spec", "nodeName"]] == "node-1")
        }
    }

    @Test("the bindings resource binds the pod named in the body")
    func bindingsResource() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            _ = try await h.send("POST", "/api/v1/namespaces/ns/pods", body: Harness.pod("q"))
            let bound = try await h.send("POST", "/api/v1/namespaces/ns/bindings",
                                         body: ["metadata": ["name": "q"], "target": ["kind": "Node", "name": "n9"]])
            #expect(bound.status == 201)
            #expect(try await h.send("GET", "/api/v1/namespaces/ns/pods/q").body[path: ["spec", "nodeName"]] == "n9")
        }
    }

    @Test("binding without a target, or to a missing pod, fails")
    func bindingErrors() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            _ = try await h.send("POST", "/api/v1/namespaces/ns/pods", body: Harness.pod("p"))
            let noTarget = await h.failure("POST", "/api/v1/namespaces/ns/pods/p/binding", body: ["metadata": ["name": "p"]])
            #expect(noTarget?.code == 422)
            let missing = await h.failure("POST", "/api/v1/namespaces/ns/pods/ghost/binding",
                                          body: ["target": ["kind": "Node", "name": "n"]])
            #expect(missing?.code == 404)
            let mismatch = await h.failure("POST", "/api/v1/namespaces/ns/pods/p/binding",
                                           body: ["metadata": ["name": "other"], "target": ["kind": "Node", "name": "n"]])
            #expect(mismatch?.code == 400)
        }
    }

    // MARK: field validation

    @Test("fieldValidation=Strict refuses unknown fields with 400 and stores nothing")
    func strict() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let before = try await h.store.currentRevision()
            var body = Harness.deployment("web")
            body[path: ["spec", "foo"]] = 1
            body[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": "x", "bar": true]]
            let error = await h.failure("POST", "/apis/apps/v1/namespaces/ns/deployments", query: "fieldValidation=Strict", body: body)
            #expect(error?.code == 400)
            #expect(error?.reason == "BadRequest")
            // Upstream's create handler wraps the decoder's error: `<Kind> in version ... cannot be handled as a <Kind>: ...`.
            #expect(error?.message.hasPrefix(#"Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: "#) == true)
            #expect(error?.message.contains(#"unknown field "spec.foo""#) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(#"unknown field "spec.template.spec.containers[0].bar""#) == true)
            #expect(try await h.store.currentRevision() == before)
        }
    }

    @Test("fieldValidation=Strict refuses duplicate fields")
    func strictDuplicates() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let error = await h.failure("POST", "/api/v1/namespaces/ns/configmaps", query: "fieldValidation=Strict",
                                        raw: #"{"metadata":{"name":"c"},"data":{"k":"1","k":"2"}}"#)
            #expect(error?.code == 400)
            #expect(error?.message.contains("duplicate field") == true, "\(error?.message ?? "")")
        }
    }

    @Test("fieldValidation=Warn (the default) drops unknown fields and warns")
    func warn() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            var body = Harness.deployment("web")
            body[path: ["spec", "foo"]] = 1
            for query in ["fieldValidation=Warn", nil] as [String?] {
                body[path: ["metadata", "name"]] = .string(query == nil ? "web-default" : "web-warn")
                let response = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments", query: query, body: body)
                #expect(response.status == 201)
                #expect(response.warnings == [#"unknown field "spec.foo""#])
                #expect(response.body[path: ["spec", "foo"]] == nil)
                let name = try #require(response.body.name)
                let stored = try #require(try await h.store.get(key: "/registry/apps/deployments/ns/\(name)", revision: nil))
                #expect(try JSONValue.parse(stored.value)[path: ["spec", "foo"]] == nil)
            }
        }
    }

    @Test("fieldValidation=Ignore drops unknown fields silently; other values are 422")
    func ignore() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let response = try await h.send("POST", "/api/v1/namespaces/ns/configmaps", query: "fieldValidation=Ignore",
                                            body: ["metadata": ["name": "c"], "bogus": true])
            #expect(response.status == 201)
            #expect(response.warnings.isEmpty)
            #expect(response.body["bogus"] == nil)
            let error = await h.failure("POST", "/api/v1/namespaces/ns/configmaps", query: "fieldValidation=Loud",
                                        body: ["metadata": ["name": "d"]])
            #expect(error?.code == 422)
            #expect(error?.details?.causes.first?.field == "fieldValidation")
            #expect(await h.failure("GET", "/api/v1/namespaces/ns/configmaps/d")?.code == 404)
        }
    }

    @Test("a patch that adds unknown fields: Strict is 400, Warn drops them")
    func patchFieldValidation() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let path = "/apis/apps/v1/namespaces/ns/deployments/web"
            _ = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments", body: Harness.deployment("web"))
            let strict = await h.failure("PATCH", path, query: "fieldValidation=Strict", body: ["spec": ["foo": 1]],
                                         contentType: "application/merge-patch+json")
            #expect(strict?.code == 400)
            #expect(strict?.message.contains(#"unknown field "spec.foo""#) == true)
            let warned = try await h.send("PATCH", path, body: ["spec": ["foo": 1, "replicas": 3]],
                                          contentType: "application/merge-patch+json")
            #expect(warned.body[path: ["spec", "foo"]] == nil)
            #expect(warned.body[path: ["spec", "replicas"]] == 3)
        }
    }

    @Test("upstream: fieldValidation=Warn on a patch answers with warnings")
    func patchWarnings() async throws {
        // ResourceHandler.patch checks the patched object against a copy of the request (`checked`)
        // inside the update closure, so the warnings it collects never reach `request.warnings`
        // (nor the Warning headers). The same holds for PATCH of the status subresource.
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let path = "/apis/apps/v1/namespaces/ns/deployments/web"
            _ = try await h.send("POST", "/apis/apps/v1/namespaces/ns/deployments", body: Harness.deployment("web"))
            let warned = try await h.send("PATCH", path, query: "fieldValidation=Warn", body: ["spec": ["foo": 1]],
                                          contentType: "application/merge-patch+json")
            let statusWarned = try await h.send("PATCH", path + "/status", query: "fieldValidation=Warn",
                                                body: ["status": ["bar": 1]], contentType: "application/merge-patch+json")
            #expect(warned.warnings == [#"unknown field "spec.foo""#])
            #expect(statusWarned.warnings == [#"unknown field "status.bar""#])
        }
    }

    @Test("a wrong kind or apiVersion in the body is 400")
    func wrongKind() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            #expect(await h.failure("POST", "/api/v1/namespaces/ns/configmaps",
                                    body: ["kind": "Secret", "metadata": ["name": "c"]])?.code == 400)
            #expect(await h.failure("POST", "/api/v1/namespaces/ns/configmaps",
                                    body: ["apiVersion": "apps/v1", "metadata": ["name": "c"]])?.code == 400)
        }
    }

    // MARK: watch

    @Test("a watch from a resourceVersion streams the later events")
    func watch() async throws {
        try await Harness.run { h in
            try await h.createNamespace("ns")
            let first = try await h.createConfigMap("ns", "a").body
            let rv = try #require(first.resourceVersion)
            var request = try h.request("GET", "/api/v1/namespaces/ns/configmaps", query: "watch=true&resourceVersion=\(rv)&timeoutSeconds=1")
            let reply = try await h.handler.handle(&request)
            guard case .watch(let watch) = reply else {
                Issue.record("expected a watch")
                return
            }
            try await h.createConfigMap("ns", "b")
            _ = try await h.send("DELETE", "/api/v1/namespaces/ns/configmaps/a")
            var output: [UInt8] = []
            // The writer owns the buffer: it sends it and empties it, as APIResponder does.
            try await watch.run { buffer in
                output += buffer
                buffer.removeAll()
            }
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
            let events = try lines.map { try JSONValue.parse(String($0)) }
            #expect(events.map { $0["type"]?.stringValue } == ["ADDED", "DELETED"])
            #expect(events.map { $0["object"]?.name } == ["b", "a"])
            #expect(await h.cache.watcherCount == 0)
        }
    }
}
