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
                    "name": .string(name), "uid": .string(UUIDString.make()),
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

enum UUIDString {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let chars = Array(hex)
        return "\(String(chars[0..<8]))-\(String(chars[8..<12]))-\(String(chars[12..<16]))-\(String(chars[16..<20]))-\(String(chars[20..<32]))"
    }
}
