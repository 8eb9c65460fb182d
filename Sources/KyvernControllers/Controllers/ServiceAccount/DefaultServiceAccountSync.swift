import KyvernAPI
import KyvernClient

/// Makes sure an active namespace holds the `default` ServiceAccount (upstream's
/// serviceaccounts-controller): pods that name no account use it, so it must come back when deleted.
struct DefaultServiceAccountSync: Sendable {
    static let accountName = "default"

    let namespaces: TypedClient<CoreV1.Namespace>
    let accounts: TypedClient<CoreV1.ServiceAccount>

    init(client: any KubernetesClient) {
        namespaces = client.resource(CoreV1.Namespace.self)
        accounts = client.resource(CoreV1.ServiceAccount.self)
    }

    /// Creates `default` in `namespace` unless the namespace is gone, terminating, or already has it.
    func sync(namespace name: String) async throws {
        let namespace: CoreV1.Namespace
        do {
            namespace = try await namespaces.get(name: name)
        } catch let error as APIError where error.code == 404 {
            return
        }
        guard namespace.metadata.deletionTimestamp == nil, (namespace.status?.phase ?? "Active") == "Active" else { return }
        do {
            _ = try await accounts.get(namespace: name, name: Self.accountName)
            return
        } catch let error as APIError where error.code == 404 {}
        let account = CoreV1.ServiceAccount(metadata: MetaV1.ObjectMeta(name: Self.accountName, namespace: name))
        do {
            _ = try await accounts.create(account)
        } catch let error as APIError where error.code == 409 || error.reason == "Forbidden" {
            // Someone else created it, or the namespace started terminating meanwhile.
        }
    }
}
