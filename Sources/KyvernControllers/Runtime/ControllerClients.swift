public import KyvernClient

/// The client each controller acts through. Informers, leader election and the manager's own
/// requests always use the manager's client; a controller's writes use this one.
public protocol ControllerClients: Sendable {
    func client(for controller: ControllerDefinition) async throws -> any KubernetesClient
}

/// Every controller acts as the manager (`--use-service-account-credentials=false`): the manager's
/// identity then needs every controller's rights.
public struct ManagerCredentials: ControllerClients {
    let client: any KubernetesClient

    public init(client: any KubernetesClient) {
        self.client = client
    }

    public func client(for controller: ControllerDefinition) async throws -> any KubernetesClient { client }
}

/// Each controller acts as its own ServiceAccount (`--use-service-account-credentials`), as
/// upstream's kube-controller-manager does: `kube-system/<account>` is created if missing, and the
/// controller's requests carry that account's token, renewed through the TokenRequest API. All
/// controllers share one connection pool; the account's credentials survive controller restarts.
public actor ServiceAccountCredentials: ControllerClients {
    private let manager: any KubernetesClient
    private let makeView: @Sendable (any BearerTokenSource, _ account: String) throws -> any KubernetesClient
    private let expirationSeconds: Int64
    private var credentials: [String: ServiceAccountTokenCredentials] = [:]

    /// `manager` obtains accounts and tokens; `makeView` builds a client sending a token source's token.
    public init(manager: any KubernetesClient, expirationSeconds: Int64 = 3600,
                makeView: @escaping @Sendable (any BearerTokenSource, _ account: String) throws -> any KubernetesClient) {
        self.manager = manager
        self.expirationSeconds = expirationSeconds
        self.makeView = makeView
    }

    /// Views of `base`, a client without credentials of its own (one connection pool for all).
    public init(manager: any KubernetesClient, base: APIClient, expirationSeconds: Int64 = 3600) {
        let userAgent = base.configuration.userAgent
        self.init(manager: manager, expirationSeconds: expirationSeconds) { source, account in
            // Upstream's controllers add their account name to the manager's user agent.
            try base.authenticating(with: source, userAgent: "\(userAgent)/\(account)")
        }
    }

    /// The credentials of `account`, shared by every controller acting as it.
    public func credentials(forAccount account: String) -> ServiceAccountTokenCredentials {
        if let existing = credentials[account] { return existing }
        let made = ServiceAccountTokenCredentials(client: manager, namespace: ControllerServiceAccounts.namespace,
                                                  serviceAccount: account, expirationSeconds: expirationSeconds)
        credentials[account] = made
        return made
    }

    /// Fetches the first token now, so a missing account is created at start and a refused
    /// TokenRequest stops the start (the manager retries) rather than every later request.
    public func client(for controller: ControllerDefinition) async throws -> any KubernetesClient {
        let account = ControllerServiceAccounts.account(for: controller)
        let source = credentials(forAccount: account)
        _ = try await source.currentToken()
        return try makeView(source, account)
    }
}
