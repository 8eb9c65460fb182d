import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Synchronization
import Testing
@testable import KyvernControllers

/// The controller against real informers over the in-memory API: events become keys, and a
/// reconcile reads the caches.
@Suite struct DeploymentControllerTests {
    final class Keys: Sendable {
        let seen = Mutex<[String]>([])
        func add(_ key: String) { seen.withLock { $0.append(key) } }
        var all: [String] { seen.withLock { $0 } }
    }

    func eventually(_ what: String, _ check: () async -> Bool) async throws {
        for _ in 0..<200 {
            if await check() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func eventsEnqueueTheDeploymentAndReconcileCreatesItsReplicaSet() async throws {
        let fake = FakeClient()
        var d = DeploymentFixtures.deployment().object
        d["status"] = nil
        try fake.seed(.deployments, d)
        let factory = SharedInformerFactory(client: fake)
        let controller = DeploymentController(client: fake, deployments: await factory.informer(for: .deployments),
                                              replicaSets: await factory.informer(for: .replicaSets),
                                              pods: await factory.informer(for: .pods))
        let keys = Keys()
        await controller.registerHandlers { keys.add($0) }
        let running = Task { try await factory.run() }
        defer { running.cancel() }
        await factory.waitForSync()
        try await eventually("the deployment's key") { keys.all.contains("default/web") }

        let before = keys.all.count
        _ = try await controller.reconcile(key: "default/web")
        let rs = try #require(fake.objects(.replicaSets, namespace: "default").first)
        #expect(rs[path: ["spec", "replicas"]] == 3)
        // The new ReplicaSet's own event (and the status write) bring the Deployment back.
        try await eventually("the ReplicaSet event's key") { keys.all.count > before }
        #expect(Set(keys.all) == ["default/web"])
        try await eventually("the ReplicaSet in the cache") {
            await controller.replicaSets.lister.get(namespace: "default", name: rs.name ?? "") != nil
        }
        // A second pass over the caches converges: nothing new is created.
        _ = try await controller.reconcile(key: "default/web")
        #expect(fake.objects(.replicaSets, namespace: "default").count == 1)
        #expect(try await controller.reconcile(key: "default/gone") == nil)
    }

    /// A refusal because the namespace is terminating ends the sync without an error (no retry),
    /// as upstream's handleErr forgets such keys; other errors still fail it.
    @Test func aTerminatingNamespaceIsNotRetried() async throws {
        let fake = FakeClient()
        var d = DeploymentFixtures.deployment().object
        d["status"] = nil
        try fake.seed(.deployments, d)
        let factory = SharedInformerFactory(client: fake)
        let controller = DeploymentController(client: fake, deployments: await factory.informer(for: .deployments),
                                              replicaSets: await factory.informer(for: .replicaSets),
                                              pods: await factory.informer(for: .pods))
        let running = Task { try await factory.run() }
        defer { running.cancel() }
        await factory.waitForSync()
        let terminating = APIError(code: 403, reason: "Forbidden",
                                   message: "replicasets.apps \"web-1\" is forbidden: unable to create new content in namespace default because it is being terminated",
                                   details: .init(name: "web-1", group: "apps", kind: "replicasets", causes: [
                                       .init(type: "NamespaceTerminating", message: "namespace default is being terminated",
                                             field: "metadata.namespace")]))
        fake.failNext(verb: "create", resource: "replicasets", with: terminating)
        try await controller.reconcile(ObjectKey(namespace: "default", name: "web"))
        fake.failNext(verb: "create", resource: "replicasets",
                      with: APIError(code: 500, reason: "InternalError", message: "boom"))
        await #expect(throws: APIError.self) { try await controller.reconcile(ObjectKey(namespace: "default", name: "web")) }
        #expect(fake.objects(.replicaSets, namespace: "default").isEmpty)
    }
}
