/// Who a dashboard session acts as: the identity of the user who asked for the login code,
/// copied as the API server authenticated them, so RBAC sees the same user in the browser.
public struct DashboardUser: Hashable, Sendable {
    public var name: String
    public var uid: String
    public var groups: [String]
    public var extra: [String: [String]]

    public init(name: String, uid: String = "", groups: [String], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }
}
