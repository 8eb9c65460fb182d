/// An authenticated user, as Kubernetes' `user.Info`: a name and the groups it belongs to.
public struct UserInfo: Hashable, Sendable {
    /// The user name, e.g. `kyvern-admin`.
    public var name: String
    /// The groups, e.g. `system:masters`. Authorization decisions are made on these.
    public var groups: [String]

    public init(name: String, groups: [String]) {
        self.name = name
        self.groups = groups
    }

    /// The holder of the admin token: a member of `system:masters`, which is allowed everything.
    public static let clusterAdmin = UserInfo(
        name: "kyvern-admin",
        groups: ["system:masters", "system:authenticated"]
    )

    /// The holder of the node join token (`DATA/node-token`): node agents, in `system:nodes` as
    /// upstream's kubelets are. Until authorization exists (RBAC, issue 12) it may do everything.
    public static let nodeAgent = UserInfo(
        name: "system:node:kyvern-agent",
        groups: ["system:nodes", "system:authenticated"]
    )
}
