import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing

/// The typed client over the in-memory fake: every verb with typed objects, typed lists, watches
/// and listers, and the dynamic client's errors unchanged.
@Suite struct TypedClientTests {
    func deployment(_ name: String, replicas: Int32 = 2) -> AppsV1.Deployment {
        let labels = ["app": name]
        return AppsV1.Deployment(
            metadata: MetaV1.ObjectMeta(labels: labels, name: name, namespace: "default"),
            spec: AppsV1.DeploymentSpec(
                replicas: replicas, selector: MetaV1.LabelSelector(matchLabels: labels),
                template: CoreV1.PodTemplateSpec(
                    metadata: MetaV1.ObjectMeta(labels: labels),
                    spec: CoreV1.PodSpec(containers: [CoreV1.Container(image: "nginx:1.27", name: "nginx")]))))
    }

    @Test func createGetUpdateStatusPatchAndDelete() async throws {
        let fake = FakeClient()
        let deployments = fake.resource(AppsV1.Deployment.self)
        let created = try await deployments.create(deployment("web"))
        #expect(created.metadata.uid != nil)
        #expect(created.metadata.generation == 1)
        #expect(created.kind == "Deployment" && created.apiVersion == "apps/v1")
        // What the fake stored is exactly the typed object's JSON plus server fields.
        let stored = try #require(fake.object(.deployments, namespace: "default", name: "web"))
        #expect(stored[path: ["spec", "template", "spec", "containers"]] == [["image": "nginx:1.27", "name": "nginx"]])

        var fetched = try await deployments.get(namespace: "default", name: "web")
        #expect(fetched == created)
        fetched.spec?.replicas = 5
        let updated = try await deployments.update(fetched)
        #expect(updated.spec?.replicas == 5)
        #expect(updated.metadata.generation == 2)

        var withStatus = updated
        withStatus.status = AppsV1.DeploymentStatus(observedGeneration: 2, replicas: 5)
        let statusWritten = try await deployments.updateStatus(withStatus)
        #expect(statusWritten.status?.replicas == 5)

        let patched = try await deployments.patch(namespace: "default", name: "web", type: .merge,
                                                  ["metadata": ["labels": ["tier": "front"]]])
        #expect(patched.metadata.labels?["tier"] == "front")

        // A stale resourceVersion is the dynamic client's 409 Conflict.
        do {
            _ = try await deployments.update(fetched)
            Issue.record("expected a conflict")
        } catch let error as APIError {
            #expect(error.code == 409 && error.reason == "Conflict")
        }

        try await deployments.delete(namespace: "default", name: "web")
        do {
            _ = try await deployments.get(namespace: "default", name: "web")
            Issue.record("expected 404")
        } catch let error as APIError {
            #expect(error.code == 404 && error.reason == "NotFound")
        }
    }

    @Test func clusterScopedKindsIgnoreNamespaces() async throws {
        let fake = FakeClient()
        let namespaces = fake.resource(CoreV1.Namespace.self)
        _ = try await namespaces.create(CoreV1.Namespace(metadata: MetaV1.ObjectMeta(name: "team")))
        let team = try await namespaces.get(namespace: "ignored", name: "team")
        #expect(team.metadata.name == "team")
        #expect(team.metadata.namespace == nil)
    }

    @Test func listsArePagedAndCarryTheirResourceVersion() async throws {
        let fake = FakeClient()
        let deployments = fake.resource(AppsV1.Deployment.self)
        for name in ["a", "b", "c"] { _ = try await deployments.create(deployment(name)) }
        let page = try await deployments.list(namespace: "default", options: ListOptions(limit: 2))
        #expect(page.items.map(\.metadata.name) == ["a", "b"])
        #expect(page.continueToken != nil)
        #expect(page.resourceVersion == fake.resourceVersion)
        let all = try await deployments.listAll(namespace: "default", options: ListOptions(limit: 2))
        #expect(all.items.compactMap(\.metadata.name) == ["a", "b", "c"])
        #expect(all.continueToken == nil)
        let none = try await deployments.list(namespace: "other")
        #expect(none.items.isEmpty)
    }

    @Test func watchDeliversTypedEvents() async throws {
        let fake = FakeClient()
        let deployments = fake.resource(AppsV1.Deployment.self)
        let start = try await deployments.list()
        let events = try await deployments.watch(options: ListOptions(resourceVersion: start.resourceVersion))
        _ = try await deployments.create(deployment("web"))
        _ = try await deployments.patch(namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 4]])
        try await deployments.delete(namespace: "default", name: "web")
        var seen: [String] = []
        for try await event in events {
            switch event {
            case .added(let d): seen.append("added \(d.spec?.replicas ?? 0)")
            case .modified(let d): seen.append("modified \(d.spec?.replicas ?? 0)")
            case .deleted(let d): seen.append("deleted \(d.metadata.name ?? "")")
            case .bookmark, .error: seen.append("other")
            }
            if seen.count == 3 { break }
        }
        #expect(seen == ["added 2", "modified 4", "deleted web"])
    }

    @Test func podsAreBoundAndEvictedWithTypedBodies() async throws {
        let fake = FakeClient()
        let pods = fake.resource(CoreV1.Pod.self)
        let pod = try await pods.create(CoreV1.Pod(
            metadata: MetaV1.ObjectMeta(name: "web", namespace: "default"),
            spec: CoreV1.PodSpec(containers: [CoreV1.Container(image: "nginx", name: "c")])))
        try await pods.bind(CoreV1.Binding(
            metadata: MetaV1.ObjectMeta(name: "web", namespace: "default", uid: pod.metadata.uid),
            target: CoreV1.ObjectReference(name: "node-1", kind: "Node")))
        #expect(try await pods.get(namespace: "default", name: "web").spec?.nodeName == "node-1")
        let binding = try #require(fake.actions.first { $0.subresource == "binding" }?.body)
        #expect(binding == ["apiVersion": "v1", "kind": "Binding",
                            "metadata": ["name": "web", "namespace": "default", "uid": .string(pod.metadata.uid ?? "")],
                            "target": ["kind": "Node", "name": "node-1"]])

        try await pods.evict(PolicyV1.Eviction(
            metadata: MetaV1.ObjectMeta(name: "web", namespace: "default"),
            deleteOptions: MetaV1.DeleteOptions(gracePeriodSeconds: 0)))
        #expect(fake.object(.pods, namespace: "default", name: "web") == nil)
    }

    @Test func anObjectThatIsNotTheKindThrowsADecodingError() async throws {
        let fake = FakeClient()
        try fake.seed(.deployments, ["apiVersion": "apps/v1", "kind": "Deployment",
                                     "metadata": ["name": "bad", "namespace": "default"],
                                     "spec": ["replicas": "many"]])
        await #expect(throws: ModelDecodingError(path: "spec.replicas", message: "expected int32, found string")) {
            _ = try await fake.resource(AppsV1.Deployment.self).get(namespace: "default", name: "bad")
        }
    }

    @Test func typedListerAndHandlersReadTheInformerCache() async throws {
        let fake = FakeClient()
        let leases = fake.resource(CoordinationV1.Lease.self)
        _ = try await leases.create(CoordinationV1.Lease(
            metadata: MetaV1.ObjectMeta(name: "a", namespace: "kube-system"),
            spec: CoordinationV1.LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 15)))
        let informer = Informer(client: fake, resource: CoordinationV1.Lease.resource)
        let holders = HolderLog()
        await informer.addHandler(for: CoordinationV1.Lease.self) { event in
            await holders.append(event.object.spec?.holderIdentity ?? "")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await informer.run() }
            await informer.waitForSync()
            let lister = informer.lister(of: CoordinationV1.Lease.self)
            #expect(try await lister.get(namespace: "kube-system", name: "a")?.spec?.leaseDurationSeconds == 15)
            #expect(try await lister.list(namespace: "kube-system").map(\.metadata.name) == ["a"])
            #expect(try await lister.get(namespace: "kube-system", name: "b") == nil)
            _ = try await leases.patch(namespace: "kube-system", name: "a", type: .merge, ["spec": ["holderIdentity": "you"]])
            for _ in 0..<200 where await holders.all.count < 2 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(await holders.all == ["me", "you"])
            group.cancelAll()
        }
    }
}

actor HolderLog {
    var all: [String] = []
    func append(_ s: String) { all.append(s) }
}
