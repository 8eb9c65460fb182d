/// An authenticated user, as Kubernetes' `user.Info`: a name, a uid, the groups it belongs to and
/// extra attributes (a ServiceAccount token's pod, a credential's id).
public struct UserInfo: Hashable, Sendable {
    /// The user name, e.g. `kyvern-admin` or `system:serviceaccount:default:builder`.
    public var name: String
    /// A stable identifier where the authenticator knows one (a ServiceAccount's uid); may be empty.
    public var uid: String
    /// The groups, e.g. `system:masters`. Authorization decisions are made on these.
    public var groups: [String]
    /// Extra attributes (`authentication.kubernetes.io/pod-name` …), reported by reviews and audit.
    public var extra: [String: [String]]

    public init(name: String, uid: String = "", groups: [String], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    /// The holder of the admin token: a member of `system:masters`, which is allowed everything.
    public static let clusterAdmin = UserInfo(
        name: "kyvern-admin",
        groups: ["system:masters", "system:authenticated"]
    )

    /// The holder of the node join token (`DATA/node-token`): like an upstream bootstrap token, it
    /// may only ask for a node client certificate (kubelet TLS bootstrap); each node then acts as
    /// its own `system:node:<name>`.
    public static let nodeBootstrapper = UserInfo(
        name: "system:bootstrap:kyvern",
        groups: ["system:bootstrappers", "system:authenticated"]
    )

    /// A request without credentials, as upstream's anonymous authenticator names it.
    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
}
