import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

/// A cache that answers index queries only from indexes built with the controller's own index
/// functions (no scan fallback), as an informer's lister does.
private struct IndexedCache: ObjectCache {
    var objects: [JSONValue]

    func get(namespace: String?, name: String) async -> JSONValue? {
        objects.first { $0.namespace == namespace && $0.name == name }
    }

    func list(namespace: String?) async -> [JSONValue] {
        Issue.record("a sync must not scan the namespace's pods")
        return objects.filter { namespace == nil || $0.namespace == namespace }
    }

    func list(index: CacheIndex, value: String) async -> [JSONValue] {
        objects.filter { index.indexer($0).contains(value) }
    }
}

@Suite struct ReplicaSetCandidatePodsTests {
    @Test func candidatesAreOwnedAndUncontrolledPodsOfTheNamespaceOnly() async throws {
        let rs = Pods.replicaSet("web")
        let ref = Pods.ref(to: rs)
        let otherController: JSONValue = ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "x", "uid": "x",
                                          "controller": true]
        let nonController: JSONValue = ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                        "uid": .string(rs.uid!)]
        let pods = [
            Pods.pod("owned", owner: ref),
            Pods.pod("owned-relabelled", labels: ["app": "other"], owner: ref),
            Pods.pod("orphan"),
            Pods.pod("orphan-other-labels", labels: ["app": "other"]),
            Pods.pod("referenced-not-controlled", owner: nonController),
            Pods.pod("foreign", owner: otherController),
            Pods.pod("orphan-elsewhere", namespace: "other"),
        ]
        let controller = ReplicaSetController(
            client: FakeClient(), replicaSets: StaticCache(objects: [rs]), pods: IndexedCache(objects: pods),
            queue: nil, logger: Logger(label: "test"))
        let names = await controller.candidatePods(of: rs).compactMap(\.name)
        #expect(names.sorted() == ["orphan", "orphan-other-labels", "owned", "owned-relabelled",
                                   "referenced-not-controlled"])
    }

    @Test func indexesAreRegisteredUnderTheirNames() {
        #expect(ReplicaSetController.podIndexes.map(\.name) == [Indexers.ownerUIDName, "uncontrolledByNamespace"])
        let orphan = Pods.pod("orphan", namespace: "ns")
        #expect(CacheIndex.uncontrolledByNamespace.indexer(orphan) == ["ns"])
        #expect(CacheIndex.uncontrolledByNamespace.indexer(Pods.pod("owned", owner: Pods.ref(to: Pods.replicaSet("web")))) == [])
    }
}
