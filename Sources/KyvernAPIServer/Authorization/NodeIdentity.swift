/// Upstream's node identifier: a user named `system:node:<nodeName>` in group `system:nodes` is the
/// node `<nodeName>`, and is held to what that node needs (the Node authorizer, NodeRestriction).
enum NodeIdentity {
    static let userPrefix = "system:node:"
    static let group = "system:nodes"

    /// The node a user is: nil when it is not a node, "" when it is one whose name is unknown.
    static func nodeName(of user: UserInfo) -> String? {
        guard user.name.hasPrefix(userPrefix), user.groups.contains(group) else {
            return nil
        }
        return String(user.name.dropFirst(userPrefix.count))
    }
}
