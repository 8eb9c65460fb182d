import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing

@Suite struct FakeClientTests {
    static let configMaps = ResourceRef(group: "", version: "v1", resource: "configmaps", namespaced: true)

    func pod(_ name: String, ns: String = "default", labels: [String: String] = [:], node: String? = nil) -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                              "metadata": ["name": .string(name), "namespace": .string(ns)],
                              "spec": ["containers": [["name": "c", "image": "nginx"]]]]
        if !labels.isEmpty { pod[path: ["metadata", "labels"]] = .object(labels.mapValues(JSONValue.string)) }
        if let node { pod[path: ["spec", "nodeName"]] = .string(node) }
        return pod
    }

    func expectAPIError(_ code: Int, _ reason: String, message: String? = nil,
                        _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code) \(reason)")
        } catch let error as APIError {
            #expect(error.code == code)
            #expect(error.reason == reason)
            if let message { #expect(error.message == message) }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func createStampsServerMetadataAndResourceVersionsIncrease() async throws {
        let fake = FakeClient()
        let a = try await fake.create(.pods, namespace: "default", pod("a"))
        let b = try await fake.create(.pods, namespace: "default", pod("b"))
        #expect(a.resourceVersion == "1" && b.resourceVersion == "2")
        #expect(a.uid != nil && a.uid != b.uid)
        #expect(a.creationTimestamp.flatMap(Timestamp.parse) != nil)
        #expect(a.generation == 1)
        let cm = try await fake.create(Self.configMaps, namespace: "default", ["metadata": ["generateName": "cfg-"]])
        #expect(cm.name?.hasPrefix("cfg-") == true && cm.name?.count == 9)
        #expect(cm.generation == nil)
        #expect(cm.kind == "ConfigMap" && cm.apiVersion == "v1")
        #expect(fake.resourceVersion == "3")
        await expectAPIError(409, "AlreadyExists", message: "pods \"a\" already exists") {
            _ = try await fake.create(.pods, namespace: "default", pod("a"))
        }
        await expectAPIError(404, "NotFound", message: "pods \"zz\" not found") {
            _ = try await fake.get(.pods, namespace: "default", name: "zz")
        }
        await expectAPIError(400, "BadRequest") {
            _ = try await fake.create(.pods, namespace: "other", pod("c"))
        }
        let dry = try await fake.create(.pods, namespace: "default", pod("d"), options: .init(dryRun: true))
        #expect(dry.uid != nil)
        #expect(fake.object(.pods, namespace: "default", name: "d") == nil)
    }

    @Test func updateChecksResourceVersionKeepsStatusAndBumpsGenerationOnSpecOnly() async throws {
        let fake = FakeClient()
        let created = try await fake.create(.deployments, namespace: "ns", [
            "metadata": ["name": "d", "namespace": "ns"], "spec": ["replicas": 1], "status": ["replicas": 0],
        ])
        var changed = created
        changed[path: ["spec", "replicas"]] = 3
        changed[path: ["status", "replicas"]] = 9
        let updated = try await fake.update(.deployments, namespace: "ns", changed)
        #expect(updated[path: ["spec", "replicas"]] == 3)
        #expect(updated[path: ["status", "replicas"]] == 0)
        #expect(updated.generation == 2)
        #expect(updated.uid == created.uid)

        await expectAPIError(409, "Conflict",
                             message: "Operation cannot be fulfilled on deployments.apps \"d\": the object has been modified; please apply your changes to the latest version and try again") {
            _ = try await fake.update(.deployments, namespace: "ns", changed)
        }
        var labelled = updated
        labelled[path: ["metadata", "labels"]] = ["a": "b"]
        #expect(try await fake.update(.deployments, namespace: "ns", labelled).generation == 2)

        var status = try await fake.get(.deployments, namespace: "ns", name: "d")
        status[path: ["status", "replicas"]] = 3
        status[path: ["spec", "replicas"]] = 100
        let afterStatus = try await fake.updateStatus(.deployments, namespace: "ns", status)
        #expect(afterStatus[path: ["status", "replicas"]] == 3)
        #expect(afterStatus[path: ["spec", "replicas"]] == 3)
        #expect(afterStatus.generation == 2)

        await expectAPIError(404, "NotFound") {
            _ = try await fake.update(.deployments, namespace: "ns", ["metadata": ["name": "nope"]])
        }
    }

    @Test func patchesMergeJSONAndStrategic() async throws {
        let fake = FakeClient()
        var p = pod("p", labels: ["a": "1"])
        p[path: ["metadata", "ownerReferences"]] = [["uid": "u1", "name": "rs1"], ["uid": "u2", "name": "rs2"]]
        p[path: ["metadata", "finalizers"]] = ["x"]
        try fake.seed(.pods, p)
        let merged = try await fake.patch(.pods, namespace: "default", name: "p", type: .merge,
                                          ["metadata": ["labels": ["a": nil, "b": "2"]], "status": ["phase": "Running"]])
        #expect(merged[path: ["metadata", "labels"]] == ["b": "2"])
        #expect(merged[path: ["status", "phase"]] == nil)  // status only through the subresource
        let status = try await fake.patch(.pods, namespace: "default", name: "p", subresource: "status", type: .merge,
                                          ["status": ["phase": "Running"], "spec": ["nodeName": "n"]])
        #expect(status[path: ["status", "phase"]] == "Running")
        #expect(status[path: ["spec", "nodeName"]] == nil)
        let strategic = try await fake.patch(.pods, namespace: "default", name: "p", type: .strategicMerge, [
            "metadata": ["ownerReferences": [["$patch": "delete", "uid": "u1"]], "finalizers": ["y"]],
            "spec": ["containers": [["name": "c", "image": "httpd"]]],
        ])
        #expect(strategic[path: ["metadata", "ownerReferences"]] == [["uid": "u2", "name": "rs2"]])
        #expect(strategic.finalizers == ["x", "y"])
        #expect(strategic[path: ["spec", "containers"]] == [["name": "c", "image": "httpd"]])
        let json = try await fake.patch(.pods, namespace: "default", name: "p", type: .json, [
            ["op": "test", "path": "/metadata/labels/b", "value": "2"],
            ["op": "replace", "path": "/metadata/finalizers/0", "value": "z"],
            ["op": "add", "path": "/metadata/annotations", "value": ["k": "v"]],
        ])
        #expect(json.finalizers == ["z", "y"])
        #expect(json[path: ["metadata", "annotations", "k"]] == "v")
        await expectAPIError(409, "Conflict") {
            _ = try await fake.patch(.pods, namespace: "default", name: "p", type: .merge, ["metadata": ["resourceVersion": "1"]])
        }
        await expectAPIError(422, "Invalid") {
            _ = try await fake.patch(.pods, namespace: "default", name: "p", type: .apply(force: true), [:])
        }
    }

    @Test func listSelectsByLabelsAndFieldsAndPages() async throws {
        let fake = FakeClient()
        try fake.seed(.pods, pod("a", ns: "x", labels: ["app": "web"], node: "n1"), pod("b", ns: "x", labels: ["app": "db"]),
                      pod("c", ns: "y", labels: ["app": "web"], node: "n1"), pod("d", ns: "y", node: "n2"))
        func names(_ list: JSONValue) -> [String] { (list["items"]?.arrayValue ?? []).compactMap(\.name) }
        #expect(names(try await fake.list(.pods)) == ["a", "b", "c", "d"])
        #expect(names(try await fake.list(.pods, namespace: "y")) == ["c", "d"])
        #expect(names(try await fake.list(.pods, options: .init(labelSelector: "app=web"))) == ["a", "c"])
        #expect(names(try await fake.list(.pods, options: .init(labelSelector: "app in (web,db),app!=db"))) == ["a", "c"])
        #expect(names(try await fake.list(.pods, options: .init(fieldSelector: "spec.nodeName=n1"))) == ["a", "c"])
        #expect(names(try await fake.list(.pods, options: .init(fieldSelector: "spec.nodeName="))) == ["b"])
        #expect(names(try await fake.list(.pods, options: .init(fieldSelector: "metadata.name=d,metadata.namespace=y"))) == ["d"])
        await expectAPIError(400, "BadRequest", message: "field label not supported: spec.image") {
            _ = try await fake.list(.pods, options: .init(fieldSelector: "spec.image=x"))
        }
        let page = try await fake.list(.pods, options: .init(limit: 3))
        #expect(names(page) == ["a", "b", "c"])
        #expect(page[path: ["metadata", "remainingItemCount"]] == 1)
        #expect(page.kind == "PodList")
        let all = try await fake.listAll(.pods, options: .init(limit: 1))
        #expect(names(all) == ["a", "b", "c", "d"])
        #expect(all[path: ["metadata", "resourceVersion"]] == "4")
    }

    @Test func watchReplaysFromAResourceVersionThenFollowsLive() async throws {
        let fake = FakeClient()
        try fake.seed(.pods, pod("a", labels: ["app": "web"]))
        let from = fake.resourceVersion
        _ = try await fake.create(.pods, namespace: "default", pod("b", labels: ["app": "web"]))
        _ = try await fake.create(.pods, namespace: "default", pod("other"))
        let events = try await fake.watch(.pods, namespace: "default",
                                          options: .init(labelSelector: "app=web", resourceVersion: from))
        _ = try await fake.patch(.pods, namespace: "default", name: "a", type: .merge, ["metadata": ["labels": ["app": "db"]]])
        _ = try await fake.patch(.pods, namespace: "default", name: "other", type: .merge, ["metadata": ["labels": ["app": "web"]]])
        try await fake.delete(.pods, namespace: "default", name: "b")
        var seen: [String] = []
        for try await event in events {
            switch event {
            case .added(let o): seen.append("ADDED \(o.name!) \(o.resourceVersion!)")
            case .modified(let o): seen.append("MODIFIED \(o.name!) \(o.resourceVersion!)")
            case .deleted(let o): seen.append("DELETED \(o.name!) \(o.resourceVersion!)")
            default: seen.append("other")
            }
            if seen.count == 4 { break }
        }
        // a stops matching (DELETED), other starts matching (ADDED).
        #expect(seen == ["ADDED b 2", "DELETED a 4", "ADDED other 5", "DELETED b 6"])
    }

    @Test func watchWithoutResourceVersionStartsWithTheCurrentState() async throws {
        let fake = FakeClient()
        try fake.seed(.nodes, ["metadata": ["name": "n2"]], ["metadata": ["name": "n1"]])
        let events = try await fake.watch(.nodes, options: .init(resourceVersion: "0", allowWatchBookmarks: true))
        fake.sendBookmarks()
        var iterator = events.makeAsyncIterator()
        #expect(try await iterator.next()?.object?.name == "n1")
        #expect(try await iterator.next()?.object?.name == "n2")
        #expect(try await iterator.next() == .bookmark(["metadata": ["resourceVersion": "2"]]))
    }

    @Test func expiredHistoryGivesGoneAndEndsOpenWatches() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, ["metadata": ["name": "a", "namespace": "n"]], ["metadata": ["name": "b", "namespace": "n"]])
        let open = try await fake.watch(Self.configMaps, namespace: "n", options: .init(resourceVersion: "2"))
        #expect(fake.watchCount == 1)
        fake.expireHistory()
        await #expect(throws: WatchError.self) {
            for try await _ in open {}
        }
        #expect(fake.watchCount == 0)
        do {
            _ = try await fake.watch(Self.configMaps, namespace: "n", options: .init(resourceVersion: "1"))
            Issue.record("watch from an expired resourceVersion succeeded")
        } catch WatchError.expired(let status) {
            #expect(status.code == 410 && status.reason == "Expired")
            #expect(status.message == "too old resource version: 1 (2)")
        }
        // The current resourceVersion is still watchable.
        _ = try await fake.watch(Self.configMaps, namespace: "n", options: .init(resourceVersion: "2"))
    }

    @Test func cancelledWatchIsUnregistered() async throws {
        let fake = FakeClient()
        let events = try await fake.watch(.pods, options: .init())
        await withTaskGroup(of: Void.self) { group in
            group.addTask { do { for try await _ in events {} } catch {} }
            group.cancelAll()
        }
        #expect(fake.watchCount == 0)
    }

    @Test func actionsAreRecordedInOrder() async throws {
        let fake = FakeClient()
        _ = try await fake.create(.pods, namespace: "ns", pod("p", ns: "ns"))
        _ = try await fake.list(.pods, namespace: "ns")
        try await fake.bind(namespace: "ns", pod: "p", node: "n1")
        try await fake.delete(.pods, namespace: "ns", name: "p", options: .init(gracePeriodSeconds: 0))
        #expect(fake.actions.map(\.description) == ["create pods ns/p", "list pods ns", "create pods/binding ns/p", "delete pods ns/p"])
        #expect(fake.writes.map(\.verb) == ["create", "create", "delete"])
        #expect(fake.actions[2] == .init(verb: "create", resource: "pods", subresource: "binding", namespace: "ns", name: "p",
                                         body: fake.actions[2].body))
    }

    @Test func bindingSetsNodeNameOnce() async throws {
        let fake = FakeClient()
        let created = try await fake.create(.pods, namespace: "ns", pod("p", ns: "ns"))
        await expectAPIError(409, "Conflict") {
            try await fake.bind(namespace: "ns", pod: "p", uid: "wrong", node: "n1")
        }
        let status = try await fake.bind(namespace: "ns", pod: "p", uid: created.uid, node: "n1")
        #expect(status["status"] == "Success")
        let bound = try #require(fake.object(.pods, namespace: "ns", name: "p"))
        #expect(bound[path: ["spec", "nodeName"]] == "n1")
        #expect(bound[path: ["status", "conditions"]]?.arrayValue?.first?["type"] == "PodScheduled")
        await expectAPIError(409, "Conflict",
                             message: "Operation cannot be fulfilled on pods \"p\": pod p is already assigned to node \"n1\"") {
            try await fake.bind(namespace: "ns", pod: "p", node: "n2")
        }
        await expectAPIError(404, "NotFound") { try await fake.bind(namespace: "ns", pod: "gone", node: "n2") }
    }

    @Test func finalizersHoldADeletedObjectUntilRemoved() async throws {
        let fake = FakeClient()
        try fake.seed(Self.configMaps, ["metadata": ["name": "c", "namespace": "n", "finalizers": ["example.com/x"]]])
        let marked = try await fake.delete(Self.configMaps, namespace: "n", name: "c")
        #expect(marked.deletionTimestamp != nil)
        #expect(marked[path: ["metadata", "deletionGracePeriodSeconds"]] == 0)
        let stored = try #require(fake.object(Self.configMaps, namespace: "n", name: "c"))
        var cleared = stored
        cleared[path: ["metadata", "finalizers"]] = nil
        let events = try await fake.watch(Self.configMaps, namespace: "n", options: .init(resourceVersion: stored.resourceVersion))
        _ = try await fake.update(Self.configMaps, namespace: "n", cleared)
        #expect(fake.object(Self.configMaps, namespace: "n", name: "c") == nil)
        var iterator = events.makeAsyncIterator()
        guard case .deleted(let gone)? = try await iterator.next() else { Issue.record("no DELETED event"); return }
        #expect(gone.name == "c")
    }

    @Test func propagationPoliciesAddTheGarbageCollectorsFinalizers() async throws {
        let fake = FakeClient()
        try fake.seed(.replicaSets, ["metadata": ["name": "a", "namespace": "n"], "spec": [:]],
                      ["metadata": ["name": "b", "namespace": "n"], "spec": [:]],
                      ["metadata": ["name": "c", "namespace": "n"], "spec": [:]])
        let foreground = try await fake.delete(.replicaSets, namespace: "n", name: "a", options: .init(propagationPolicy: .foreground))
        #expect(foreground.finalizers == ["foregroundDeletion"])
        #expect(foreground.generation == 2)
        let orphan = try await fake.delete(.replicaSets, namespace: "n", name: "b", options: .init(propagationPolicy: .orphan))
        #expect(orphan.finalizers == ["orphan"])
        try await fake.delete(.replicaSets, namespace: "n", name: "c", options: .init(propagationPolicy: .background))
        #expect(fake.objects(.replicaSets).compactMap(\.name) == ["a", "b"])
        await expectAPIError(409, "Conflict") {
            try await fake.delete(.replicaSets, namespace: "n", name: "a", options: .init(preconditionUID: "x"))
        }
    }

    @Test func boundPodsAreDeletedGracefully() async throws {
        let fake = FakeClient()
        try fake.seed(.pods, pod("on-node", node: "n1"), pod("pending"))
        try await fake.delete(.pods, namespace: "default", name: "pending")
        #expect(fake.object(.pods, namespace: "default", name: "pending") == nil)
        let terminating = try await fake.delete(.pods, namespace: "default", name: "on-node")
        #expect(terminating.deletionGracePeriodSeconds == 30)
        #expect(terminating.deletionTimestamp != nil)
        #expect(fake.object(.pods, namespace: "default", name: "on-node") != nil)
        try await fake.delete(.pods, namespace: "default", name: "on-node", options: .init(gracePeriodSeconds: 0))
        #expect(fake.object(.pods, namespace: "default", name: "on-node") == nil)
    }

    @Test func reactorsInjectFailuresAndAnswers() async throws {
        let fake = FakeClient()
        fake.failNext(2, verb: "create", resource: "pods", with: APIError.internalError("etcd down"))
        for _ in 0..<2 {
            await expectAPIError(500, "InternalError", message: "Internal error occurred: etcd down") {
                _ = try await fake.create(.pods, namespace: "default", pod("p"))
            }
        }
        _ = try await fake.create(.pods, namespace: "default", pod("p"))
        fake.prependReactor(verb: "get", resource: "pods") { action in
            // Reactors may read the fake.
            action.name == "p" ? fake.object(.pods, namespace: "default", name: "p").map { _ in ["canned": true] } : nil
        }
        #expect(try await fake.get(.pods, namespace: "default", name: "p") == ["canned": true])
        fake.failNext(verb: "*", with: APIError(code: 429, reason: "TooManyRequests", message: "slow down"))
        await expectAPIError(429, "TooManyRequests") { _ = try await fake.list(.nodes) }
        fake.failNext(verb: "create", resource: "pods/binding", with: APIError.conflict(group: "", resource: "pods", name: "p", reason: "x"))
        await expectAPIError(409, "Conflict") { try await fake.bind(namespace: "default", pod: "p", node: "n") }
        try await fake.bind(namespace: "default", pod: "p", node: "n")
    }
}
