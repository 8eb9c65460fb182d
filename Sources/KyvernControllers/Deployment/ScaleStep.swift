/// One resize of a ReplicaSet the controller decided on, executed in order.
struct ScaleStep: Sendable, Hashable {
    var name: String
    var from: Int
    var to: Int
    /// "up" or "down" as worded in the event for a proportional scale, which also rewrites the
    /// replica annotations when the size stays; nil for a plain resize, skipped when the size stays.
    var proportionalOperation: String?

    init(_ rs: ReplicaSetObject, to: Int, proportionalOperation: String? = nil) {
        name = rs.name
        from = rs.replicas
        self.to = to
        self.proportionalOperation = proportionalOperation
    }
}
