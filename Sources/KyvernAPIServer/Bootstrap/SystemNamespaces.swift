import Foundation
import KyvernAPI
import KyvernStore

/// The namespaces every cluster has from its first start.
enum SystemNamespaces {
    static let names = ["default", "kube-system", "kube-public", "kube-node-lease"]

    /// Creates the missing ones (idempotent, so every start may run it).
    static func ensure(storage: ObjectStorage) async throws {
        guard let info = ResourceCatalog.find(group: "", version: "v1", resource: "namespaces") else { return }
        for name in names {
            let key = StorageKeys.key(info, namespace: nil, name: name)
            if try await storage.read(key: key) != nil { continue }
            let object: JSONValue = [
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": [
                    "name": .string(name), "uid": .string(UUID().uuidString.lowercased()),
                    "creationTimestamp": .string(Timestamp.format(Date())),
                    "labels": ["kubernetes.io/metadata.name": .string(name)],
                ],
                "spec": ["finalizers": ["kubernetes"]],
                "status": ["phase": "Active"],
            ]
            do {
                _ = try await storage.create(info, key: key, object: object)
            } catch let error as APIError where error.code == 409 {
                continue
            }
        }
    }
}
