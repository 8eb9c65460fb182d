import Foundation
import KyvernAPI

/// The two PriorityClasses every cluster has (`system-node-critical`, `system-cluster-critical`),
/// created at start when missing, as upstream's scheduling bootstrap does.
enum SystemPriorityClasses {
    static func ensure(storage: ObjectStorage) async throws {
        guard let info = ResourceCatalog.find(group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses") else { return }
        let descriptions = [
            "system-node-critical": "For pods a node cannot do without; they are never preempted for others.",
            "system-cluster-critical": "For pods the cluster cannot do without; they may move to another node.",
        ]
        for (name, value) in PodAdmissionDefaults.systemPriorities.sorted(by: { $0.key < $1.key }) {
            let key = StorageKeys.key(info, namespace: nil, name: name)
            if try await storage.read(key: key) != nil { continue }
            let object: JSONValue = [
                "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": ["name": .string(name), "uid": .string(UUID().uuidString.lowercased()),
                             "creationTimestamp": .string(Timestamp.format(Date()))],
                "value": .int(value), "globalDefault": false, "description": .string(descriptions[name] ?? ""),
                "preemptionPolicy": "PreemptLowerPriority",
            ]
            do {
                _ = try await storage.create(info, key: key, object: object)
            } catch let error as APIError where error.code == 409 {}
        }
    }
}
