/// Which Lease a group of candidates competes for and how fast leadership moves between them.
///
/// The defaults are upstream's (15 s / 10 s / 2 s): a leader that stops renewing is replaced within
/// about `leaseDuration` + `retryPeriod`, and a leader that cannot reach the server stops acting
/// after `renewDeadline`, which is shorter than `leaseDuration` so it steps down before anyone else
/// may take over.
public struct LeaderElectionConfig: Sendable, Hashable {
    /// Namespace of the Lease (usually `kube-system`).
    public var namespace: String
    /// Name of the Lease (the component's name, e.g. `kyvern-controller-manager`).
    public var name: String
    /// This candidate's identity, written as `holderIdentity`; unique per process.
    public var identity: String
    /// How long a Lease not renewed stays valid for the other candidates.
    public var leaseDuration: Duration
    /// How long a leader keeps acting without a successful renewal before it gives up leading.
    public var renewDeadline: Duration
    /// The pause between attempts to acquire or renew.
    public var retryPeriod: Duration
    /// Clear `holderIdentity` when the leader stops gracefully, so a successor need not wait out
    /// the lease (upstream's `ReleaseOnCancel`).
    public var releaseOnCancel: Bool

    public init(namespace: String, name: String, identity: String,
                leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10),
                retryPeriod: Duration = .seconds(2), releaseOnCancel: Bool = true) {
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
        self.releaseOnCancel = releaseOnCancel
    }

    /// The factor upstream spreads retries by; the deadline must leave room for one jittered retry.
    static let jitterFactor = 1.2

    /// Refuses the configurations upstream refuses: they would let two candidates lead at once.
    public func validate() throws(LeaderElectionError) {
        guard !identity.isEmpty else { throw .invalidConfiguration("leader election requires an identity") }
        guard !namespace.isEmpty, !name.isEmpty else {
            throw .invalidConfiguration("leader election requires the Lease's namespace and name")
        }
        guard leaseDuration > renewDeadline else {
            throw .invalidConfiguration("leaseDuration must be greater than renewDeadline")
        }
        guard renewDeadline > retryPeriod * Self.jitterFactor else {
            throw .invalidConfiguration("renewDeadline must be greater than retryPeriod*JitterFactor")
        }
        guard leaseDuration > .zero, renewDeadline > .zero, retryPeriod > .zero else {
            throw .invalidConfiguration("leaseDuration, renewDeadline and retryPeriod must be greater than zero")
        }
    }
}

/// Why leader election stopped.
public enum LeaderElectionError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidConfiguration(String)
    /// No renewal succeeded within `renewDeadline`: another candidate may lead now.
    case leadershipLost(identity: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message): message
        case .leadershipLost(let identity): "leader election lost by \(identity)"
        }
    }
}
