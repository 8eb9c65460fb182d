/// Upstream's node identifier: a user named `system:node:<nodeName>` in group `system:nodes` is the
/// node `<nodeName>`, and is held to what that node needs (the Node authorizer, NodeRestriction).
enum NodeIdentity {
    static let userPrefix = "system:node:"
    static let group = "system:nodes"

    /// Transitional: the node join token's identity (`UserInfo.nodeAgent`) is one name shared by every
    /// agent that joined with the token, each serving a node of another name; held to one node it
    /// would break them all. Until every agent has its own `system:node:<name>` identity it is not
    /// treated as a node here and keeps the node role through its own ClusterRoleBinding
    /// (`kyvern:legacy-node-agent`).
    static let legacySharedAgent = UserInfo.nodeAgent.name

    /// The node a user is: nil when it is not a node, "" when it is one whose name is unknown.
    static func nodeName(of user: UserInfo) -> String? {
        guard user.name.hasPrefix(userPrefix), user.groups.contains(group), user.name != legacySharedAgent else {
            return nil
        }
        return String(user.name.dropFirst(userPrefix.count))
    }
}
