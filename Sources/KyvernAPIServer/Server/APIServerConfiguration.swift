public import KyvernAPI
public import NIOSSL

/// How the API server listens and behaves; built by the composition root from flags.
public struct APIServerConfiguration: Sendable {
    public var bindAddress: String
    public var port: Int
    public var tls: TLSConfiguration
    /// The static bearer tokens (admin, node join token).
    public var authenticator: BearerTokenAuthenticator
    /// `--authorization-mode`: the modes in order (default `Node,RBAC`; `RBAC`; `AlwaysAllow`).
    public var authorizationMode: [Authorizer.Mode] = [.node, .rbac]
    /// `--anonymous-auth`: whether a request without credentials is `system:anonymous` (else 401).
    public var anonymousAuth = true
    /// Whether the ServiceAccount admission step mounts the `kube-api-access-*` token volume into
    /// new pods, as upstream always does (`--service-account-token-volume false` leaves it out).
    public var serviceAccountTokenVolume = true
    /// How often history is compacted (upstream's --etcd-compaction-interval, default 5 minutes).
    public var compactionInterval: Duration
    /// Events kept in the watch cache's window.
    public var watchCacheCapacity: Int
    /// Where Services get cluster IPs and node ports (`--service-cidr`).
    public var serviceRanges: ServiceRanges = .default
    /// The DefaultTolerationSeconds admission step's two periods.
    public var defaultTolerationSeconds = DefaultTolerationSeconds()
    /// How long an event lives after its last write (upstream's --event-ttl, default 1 hour).
    public var eventTTL: Duration
    /// The cluster CA, served without authentication at `/cacerts` so that a joining node can
    /// fetch it and check it against the hash in its join token (as k3s does).
    public var caCertificatePEM: String?
    /// The bearer token presented to node agents' HTTPS endpoints (logs, exec, stats).
    public var nodeAgentToken: String = ""
    /// How long a graceful shutdown waits for connections to finish before closing them: watches
    /// end at once, so only a request in flight or a connection caught mid-handshake waits.
    public var shutdownDrainTimeout: Duration = .seconds(4)
    /// Signs and verifies ServiceAccount tokens; nil serves neither `serviceaccounts/token` nor
    /// ServiceAccount authentication.
    public var serviceAccountTokenIssuer: ServiceAccountTokenIssuer?
    /// Requests served at once beyond which further ones get 429 (upstream's `--max-requests-inflight`,
    /// `--max-mutating-requests-inflight`; 0: no limit). Long-running requests are not counted.
    public var maxRequestsInFlight = 400
    public var maxMutatingRequestsInFlight = 200
    /// Secrets encryption at rest, for `kyvern secrets-encrypt` (nil: reported as not configured).
    package var secretsEncryption: SecretsEncryption?
    /// Audit logging (`--audit-policy-file`, `--audit-log-path`); nil: off.
    package var auditLog: AuditLog?
    /// `--dashboard-port`: a second HTTPS listener (same certificate) whose `/` leads to the
    /// dashboard and which serves the API as this port does; nil: the dashboard only at `/dashboard/`.
    public var dashboardPort: Int?
    /// Components served under their own path on this port (the dashboard).
    public var mounts: [PathMount] = []
    /// Token authenticators asked after the static tokens and before ServiceAccount JWTs
    /// (the dashboard's sessions).
    public var extraTokenAuthenticators: [any TokenAuthenticator] = []

    public init(bindAddress: String, port: Int, tls: TLSConfiguration, authenticator: BearerTokenAuthenticator,
                compactionInterval: Duration = .seconds(300), watchCacheCapacity: Int = 50_000,
                eventTTL: Duration = .seconds(3600)) {
        self.bindAddress = bindAddress
        self.port = port
        self.tls = tls
        self.authenticator = authenticator
        self.compactionInterval = compactionInterval
        self.watchCacheCapacity = watchCacheCapacity
        self.eventTTL = eventTTL
    }
}

/// The Kubernetes version Kyvern speaks.
public enum ServedVersion {
    public static let major = "1"
    public static let minor = "36"
    public static let gitVersion = "v1.36.0-kyvern"

    public static var document: JSONValue {
        #if arch(arm64)
        let arch = "arm64"
        #else
        let arch = "amd64"
        #endif
        return [
            "major": .string(major), "minor": .string(minor), "emulationMajor": .string(major), "emulationMinor": .string(minor),
            "minCompatibilityMajor": "1", "minCompatibilityMinor": "35",
            "gitVersion": .string(gitVersion), "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean", "buildDate": "2026-11-26T00:00:00Z", "goVersion": "swift6.3",
            "compiler": "swiftc", "platform": .string("linux/\(arch)"),
        ]
    }
}
