import KyvernAPI
import KyvernClient

/// Makes sure an active namespace holds the `default` ServiceAccount (upstream's
/// serviceaccounts-controller): pods that name no account use it, so it must come back when deleted.
struct DefaultServiceAccountSync: Sendable {
    static let accountName = "default"

    let client: any KubernetesClient

    /// Creates `default` in `namespace` unless the namespace is gone, terminating, or already has it.
    func sync(namespace: String) async throws {
        let object: JSONValue
        do {
            object = try await client.get(.namespaces, namespace: nil, name: namespace)
        } catch let error as APIError where error.code == 404 {
            return
        }
        guard object[path: ["metadata", "deletionTimestamp"]] == nil,
              object[path: ["status", "phase"]]?.stringValue ?? "Active" == "Active" else { return }
        do {
            _ = try await client.get(.serviceAccounts, namespace: namespace, name: Self.accountName)
            return
        } catch let error as APIError where error.code == 404 {}
        let account: JSONValue = [
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": ["name": .string(Self.accountName), "namespace": .string(namespace)],
        ]
        do {
            _ = try await client.create(.serviceAccounts, namespace: namespace, account, options: WriteOptions())
        } catch let error as APIError where error.code == 409 || error.reason == "Forbidden" {
            // Someone else created it, or the namespace started terminating meanwhile.
        }
    }
}
