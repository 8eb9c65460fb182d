public import KyvernAPI

/// Rejects cordoned nodes (`spec.unschedulable`), unless the pod tolerates the taint the node
/// lifecycle puts on them — how DaemonSet pods still land on cordoned nodes.
public struct NodeUnschedulable: FilterPlugin {
    public static let reason = "node(s) were unschedulable"
    public static let taint = Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule")
    public let name = "NodeUnschedulable"
    public init() {}

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        guard node.unschedulable else { return .success }
        return Toleration.of(pod: pod).tolerate(Self.taint) ? .success : .unresolvable(Self.reason)
    }
}
