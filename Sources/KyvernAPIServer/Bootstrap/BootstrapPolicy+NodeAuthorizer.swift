import KyvernAPI

/// The bootstrap policy's part for the Node authorizer: nodes hold the node rules through the
/// authorizer, not through a binding, so the interim `kyvern:node-agents` binding of
/// `system:nodes` to `system:node` is gone (and removed from clusters that have it).
extension BootstrapPolicy {
    static let bootstrappingLabel = "kubernetes.io/bootstrapping"

    /// ClusterRoleBindings earlier versions created and this one no longer wants.
    static let retiredClusterRoleBindings = ["kyvern:node-agents"]

    /// Deletes a retired binding that is still the default one: labelled as bootstrapped and not
    /// opted out of updates (`autoupdate: "false"`), so one a user took over is left alone.
    static func removeRetiredBindings(info: ResourceInfo, storage: ObjectStorage) async throws {
        for name in retiredClusterRoleBindings {
            let key = StorageKeys.key(info, namespace: nil, name: name)
            guard let existing = try await storage.read(key: key)?.object, isStillDefault(existing) else { continue }
            do {
                _ = try await storage.delete(info, key: key, name: name) { current in
                    guard isStillDefault(current) else { throw APIError.conflict(group: info.group, resource: info.resource,
                                                                                 name: name, reason: "no longer a default") }
                }
            } catch let error as APIError where error.code == 404 || error.code == 409 {}
        }
    }

    static func isStillDefault(_ object: JSONValue) -> Bool {
        object[path: ["metadata", "labels", bootstrappingLabel]]?.stringValue == "rbac-defaults"
            && object[path: ["metadata", "annotations", autoupdate]]?.stringValue != "false"
    }
}
