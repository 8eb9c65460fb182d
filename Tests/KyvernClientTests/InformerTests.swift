import KyvernAPI
import KyvernTestSupport
import Logging
import Synchronization
import Testing
@testable import KyvernClient

/// Collects what handlers saw, in order.
final class EventLog: Sendable {
    private let entries = Mutex<[String]>([])

    var all: [String] { entries.withLock { $0 } }

    func append(_ entry: String) { entries.withLock { $0.append(entry) } }

    static func describe(_ event: InformerEvent) -> String {
        switch event {
        case .added(let o): "added \(o.name ?? "")"
        case .updated(let old, let new):
            old == new ? "resync \(new.name ?? "")" : "updated \(new.name ?? "") \(old.resourceVersion ?? "")->\(new.resourceVersion ?? "")"
        case .deleted(let o): "deleted \(o.name ?? "")"
        }
    }
}

/// Polls until `condition` holds (the informer runs concurrently), failing after `seconds`.
func eventually(_ seconds: Double = 5, _ what: String = "", _ condition: () async -> Bool) async throws {
    let clock = ContinuousClock()
    let end = clock.now + .milliseconds(Int(seconds * 1000))
    while clock.now < end {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    let ok = await condition()
    #expect(ok, "timed out waiting: \(what)")
}

@Suite(.timeLimit(.minutes(1))) struct InformerTests {
    static let configMaps = ResourceRef(group: "", version: "v1", resource: "configmaps", namespaced: true)

    func configMap(_ name: String, ns: String = "n", data: String = "1") -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": .string(ns)], "data": ["k": .string(data)]]
    }

    func makeInformer(_ fake: FakeClient, _ ref: ResourceRef = configMaps, namespace: String? = nil,
                      resync: Duration? = nil, indexers: [String: Indexer] = [:]) -> Informer {
        Informer(client: fake, resource: ref, namespace: namespace, labelSelector: nil, fieldSelector: nil,
                 resyncPeriod: resync, indexers: indexers, logger: Logger(label: "test"),
                 initialBackoff: .milliseconds(300), maxBackoff: .seconds(1))
    }

    /// Runs `informer` as a child task while `body` runs, then cancels it and checks it stopped watching.
    func running(_ informer: Informer, _ fake: FakeClient, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await informer.run() }
            try await body()
            group.cancelAll()
            try await group.waitForAll()
        }
        #expect(fake.watchCount == 0)
    }

    @Test func listsThenWatchesAndUpdatesTheCacheBeforeHandlers() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, configMap("a"), configMap("b"))
        let informer = makeInformer(fake)
        let log = EventLog()
        let lister = informer.lister
        await informer.addHandler { event in
            // The cache already holds what the handler is told about.
            let cached = await lister.get(namespace: "n", name: event.object.name ?? "")
            if case .deleted = event { log.append(cached == nil ? "ok" : "stale") } else { log.append(cached == event.object ? "ok" : "stale") }
            log.append(EventLog.describe(event))
        }
        try await running(informer, fake) {
            await informer.waitForSync()
            #expect(informer.hasSynced)
            #expect(log.all.filter { $0 != "ok" }.sorted() == ["added a", "added b"])
            _ = try await fake.create(Self.configMaps, namespace: "n", configMap("c"))
            _ = try await fake.update(Self.configMaps, namespace: "n", configMap("a", data: "2"))
            try await fake.delete(Self.configMaps, namespace: "n", name: "b")
            try await eventually { log.all.count == 10 }
            #expect(Array(log.all.filter { $0 != "ok" }.suffix(3)) == ["added c", "updated a 1->4", "deleted b"])
            #expect(!log.all.contains("stale"))
            #expect(await lister.list().compactMap(\.name).sorted() == ["a", "c"])
            #expect(await lister.get(namespace: "n", name: "a")?[path: ["data", "k"]] == "2")
        }
        #expect(fake.actions.filter { $0.verb == "list" }.count == 1)
    }

    @Test func aWatchEndedByTheServerResumesWithoutListing() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, configMap("a"))
        let informer = makeInformer(fake)
        let log = EventLog()
        await informer.addHandler { log.append(EventLog.describe($0)) }
        try await running(informer, fake) {
            await informer.waitForSync()
            try await eventually { fake.watchCount == 1 }
            fake.closeWatches()
            _ = try await fake.create(Self.configMaps, namespace: "n", configMap("b"))
            try await eventually { log.all == ["added a", "added b"] }
            let watches = fake.actions.filter { $0.verb == "watch" }
            #expect(watches.count == 2)
        }
        #expect(fake.actions.filter { $0.verb == "list" }.count == 1)
    }

    @Test func expiredHistoryRelistsAndDeliversOnlyTheDifference() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, configMap("a"), configMap("b"), configMap("same"))
        let informer = makeInformer(fake)
        let log = EventLog()
        await informer.addHandler { log.append(EventLog.describe($0)) }
        try await running(informer, fake) {
            await informer.waitForSync()
            try await eventually { fake.watchCount == 1 }
            // The first re-list fails, so the changes below happen while nothing watches.
            fake.failNext(verb: "list", with: APIError.internalError("etcd unavailable"))
            fake.expireHistory(closingWatches: true)
            _ = try await fake.update(Self.configMaps, namespace: "n", configMap("a", data: "2"))
            try await fake.delete(Self.configMaps, namespace: "n", name: "b")
            _ = try await fake.create(Self.configMaps, namespace: "n", configMap("c"))
            try await eventually { log.all.count == 6 }
            #expect(Array(log.all.dropFirst(3)) == ["updated a 1->4", "added c", "deleted b"])
            #expect(fake.actions.filter { $0.verb == "list" }.count == 3)
            try await eventually { fake.watchCount == 1 }
            // And it watches again from the new list.
            _ = try await fake.create(Self.configMaps, namespace: "n", configMap("d"))
            try await eventually { log.all.last == "added d" }
        }
    }

    @Test func aFailedWatchRelistsAfterABackoff() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, configMap("a"))
        let informer = makeInformer(fake)
        let log = EventLog()
        await informer.addHandler { log.append(EventLog.describe($0)) }
        try await running(informer, fake) {
            await informer.waitForSync()
            try await eventually { fake.watchCount == 1 }
            let clock = ContinuousClock()
            let start = clock.now
            fake.closeWatches(throwing: APIError(code: 500, reason: "InternalError", message: "connection reset"))
            try await eventually { fake.actions.filter { $0.verb == "list" }.count == 2 }
            #expect(clock.now - start >= .milliseconds(250))
            try await eventually { fake.watchCount == 1 }
            #expect(log.all == ["added a"])
        }
    }

    @Test func resyncRedeliversEveryCachedObject() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, configMap("a"), configMap("b"))
        let informer = makeInformer(fake, resync: .milliseconds(100))
        let log = EventLog()
        await informer.addHandler { log.append(EventLog.describe($0)) }
        try await running(informer, fake) {
            try await eventually { log.all.filter { $0.hasPrefix("resync") }.count >= 4 }
            #expect(Set(log.all.filter { $0.hasPrefix("resync") }) == ["resync a", "resync b"])
        }
    }

    @Test func handlersRunInOrderAndALateHandlerCatchesUp() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, configMap("a"))
        let informer = makeInformer(fake)
        let log = EventLog()
        await informer.addHandler { event in
            // A slow first handler must not let the second run ahead or overlap.
            try? await Task.sleep(for: .milliseconds(20))
            log.append("1 " + EventLog.describe(event))
        }
        await informer.addHandler { log.append("2 " + EventLog.describe($0)) }
        try await running(informer, fake) {
            await informer.waitForSync()
            #expect(log.all == ["1 added a", "2 added a"])
            _ = try await fake.create(Self.configMaps, namespace: "n", configMap("b"))
            await informer.addHandler { log.append("3 " + EventLog.describe($0)) }
            _ = try await fake.create(Self.configMaps, namespace: "n", configMap("c"))
            try await eventually { log.all.filter { $0.hasPrefix("3") }.count == 3 }
            try await eventually { log.all.count == 9 }
            let all = log.all
            // Handler 3 heard everything cached as added, exactly once, before c arrived through it.
            #expect(all.filter { $0.hasPrefix("3") }.sorted() == ["3 added a", "3 added b", "3 added c"])
            #expect(all.filter { $0.hasPrefix("3") }.last == "3 added c")
            // For each event, 1 then 2 (then 3).
            let one = all.filter { $0.hasPrefix("1") }.map { $0.dropFirst(2) }
            let two = all.filter { $0.hasPrefix("2") }.map { $0.dropFirst(2) }
            #expect(one == two)
            #expect(all.firstIndex(of: "1 added c")! < all.firstIndex(of: "2 added c")!)
            #expect(all.firstIndex(of: "2 added c")! < all.firstIndex(of: "3 added c")!)
        }
    }

    @Test func indexersTrackNamespaceNodeAndOwners() async throws {
        let fake = FakeClient()
        func pod(_ name: String, ns: String, node: String?, owners: [String]) -> JSONValue {
            var pod: JSONValue = ["metadata": ["name": .string(name), "namespace": .string(ns)], "spec": [:]]
            if let node { pod[path: ["spec", "nodeName"]] = .string(node) }
            if !owners.isEmpty {
                pod[path: ["metadata", "ownerReferences"]] = .array(owners.map { ["uid": .string($0), "name": "o"] })
            }
            return pod
        }
        try fake.seed(.pods, pod("a", ns: "x", node: "n1", owners: ["u1"]), pod("b", ns: "x", node: nil, owners: ["u1", "u2"]),
                      pod("c", ns: "y", node: "n1", owners: []))
        let informer = makeInformer(fake, .pods, indexers: [
            Indexers.namespaceName: Indexers.namespace, Indexers.nodeNameName: Indexers.nodeName,
        ])
        await informer.addIndexers([Indexers.ownerUIDName: Indexers.ownerUID])
        let lister = informer.lister
        func names(_ objects: [JSONValue]) -> [String] { objects.compactMap(\.name).sorted() }
        try await running(informer, fake) {
            await informer.waitForSync()
            #expect(names(await lister.byIndex(Indexers.nodeNameName, "n1")) == ["a", "c"])
            #expect(names(await lister.byIndex(Indexers.ownerUIDName, "u1")) == ["a", "b"])
            #expect(names(await lister.byIndex(Indexers.ownerUIDName, "u2")) == ["b"])
            #expect(names(await lister.byIndex(Indexers.namespaceName, "y")) == ["c"])
            #expect(names(await lister.list(namespace: "x")) == ["a", "b"])
            try await fake.bind(namespace: "x", pod: "b", node: "n2")
            try await fake.delete(.pods, namespace: "y", name: "c", options: .init(gracePeriodSeconds: 0))
            try await eventually { await lister.byIndex(Indexers.nodeNameName, "n2").count == 1 }
            try await eventually { await lister.count() == 2 }
            #expect(names(await lister.byIndex(Indexers.nodeNameName, "n1")) == ["a"])
            #expect(names(await lister.list(namespace: "y")) == [])
            #expect(await lister.get(namespace: "x", name: "b")?[path: ["spec", "nodeName"]] == "n2")
        }
    }

    @Test func factorySharesInformersAndRunsLateOnes() async throws {
        let fake = FakeClient()
        try fake.seed(.nodes, ["metadata": ["name": "n1"]])
        try fake.seed(.pods, ["metadata": ["name": "p", "namespace": "a"]])
        let factory = SharedInformerFactory(client: fake)
        let nodes = await factory.informer(for: .nodes)
        #expect(await factory.informer(for: .nodes, namespace: "ignored") === nodes)
        let podsA = await factory.informer(for: .pods, namespace: "a")
        #expect(await factory.informer(for: .pods) !== podsA)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await factory.run() }
            await factory.waitForSync()
            #expect(await nodes.lister.count() == 1)
            #expect(await podsA.lister.count() == 1)
            let late = await factory.informer(for: .deployments)
            await late.waitForSync()
            #expect(factory.informers.count == 4)
            group.cancelAll()
        }
        #expect(fake.watchCount == 0)
    }

    /// The scheduler's pod informer sees ~30,000 events in 10 s: delivery must stay O(1) per event.
    @Test func thirtyThousandEventsOnALargeCache() async throws {
        let fake = FakeClient()
        let count = 5_000
        for i in 0..<count {
            try fake.seed(.pods, ["metadata": ["name": .string("p\(i)"), "namespace": "load"],
                                  "spec": ["nodeName": .string("node-\(i % 500)")]])
        }
        let informer = makeInformer(fake, .pods, indexers: [Indexers.nodeNameName: Indexers.nodeName])
        let seen = Mutex(0)
        await informer.addHandler { _ in seen.withLock { $0 += 1 } }
        let clock = ContinuousClock()
        try await running(informer, fake) {
            await informer.waitForSync()
            let start = clock.now
            for round in 0..<5 {
                for i in 0..<count {
                    _ = try await fake.patch(.pods, namespace: "load", name: "p\(i)", type: .merge,
                                             ["metadata": ["labels": ["round": .string(String(round))]]])
                }
            }
            try await eventually(30) { seen.withLock { $0 } == count * 6 }
            let elapsed = clock.now - start
            print("informer load: \(count * 5) updates delivered in \(elapsed)")
            #expect(elapsed < .seconds(10))
        }
        #expect(await informer.lister.byIndex(Indexers.nodeNameName, "node-7").count == 10)
    }
}
