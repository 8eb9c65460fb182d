import KyvernAPI
import KyvernClient
import KyvernTestSupport
@testable import KyvernControllers

/// Builds objects for the garbage-collector and namespace tests and plays the informers' part:
/// ``GraphFeeder/sync()`` diffs the fake's contents against what the collector last saw.
enum GCFixtures {
    static let configMaps = GCResource(ref: .configMaps, kind: "ConfigMap")
    static let secrets = GCResource(ref: .secrets, kind: "Secret")
    static let resources = [configMaps, secrets]

    static func configMap(_ name: String, namespace: String = "default", owners: [JSONValue] = [],
                          finalizers: [String] = []) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        if !owners.isEmpty { metadata["ownerReferences"] = .array(owners) }
        if !finalizers.isEmpty { metadata["finalizers"] = .array(finalizers.map(JSONValue.string)) }
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": .object(metadata), "data": ["k": "v"]]
    }

    static func ownerRef(_ owner: JSONValue, block: Bool? = nil) -> JSONValue {
        var ref: [String: JSONValue] = [
            "apiVersion": owner["apiVersion"] ?? "v1", "kind": owner["kind"] ?? "ConfigMap",
            "name": owner[path: ["metadata", "name"]] ?? "", "uid": owner[path: ["metadata", "uid"]] ?? "",
        ]
        if let block { ref["blockOwnerDeletion"] = .bool(block) }
        return .object(ref)
    }
}

/// Feeds the collector the fake's current objects as informer events, then processes the queued
/// uids, until nothing changes (or `rounds` run out).
actor GraphFeeder {
    let client: FakeClient
    let collector: GarbageCollector
    private var seen: [String: (GCResource, JSONValue)] = [:]

    init(client: FakeClient, collector: GarbageCollector) {
        self.client = client
        self.collector = collector
    }

    /// Delivers add/update/delete events for what changed since the last call; returns queued uids.
    func sync() async -> [String] {
        var work: [String] = []
        var now: [String: (GCResource, JSONValue)] = [:]
        for resource in GCFixtures.resources {
            for object in client.objects(resource.ref) {
                guard let uid = object[path: ["metadata", "uid"]]?.stringValue else { continue }
                now[uid] = (resource, object)
            }
        }
        for (uid, (resource, object)) in now.sorted(by: { $0.key < $1.key }) {
            if let old = seen[uid]?.1 {
                if old != object { work += await collector.observe(.updated(old: old, new: object), resource: resource) }
            } else {
                work += await collector.observe(.added(object), resource: resource)
            }
        }
        for (uid, (resource, object)) in seen where now[uid] == nil {
            work += await collector.observe(.deleted(object), resource: resource)
        }
        seen = now
        return work
    }

    func settle(rounds: Int = 10) async throws {
        for _ in 0..<rounds {
            var queue = await sync()
            if queue.isEmpty { return }
            while !queue.isEmpty {
                let uid = queue.removeFirst()
                queue += try await collector.process(uid: uid)
            }
        }
    }
}
