public import KyvernAPI

/// Keeps a pod that names its node (`spec.nodeName`) to that node.
public struct NodeName: FilterPlugin {
    public static let reason = "node(s) didn't match the requested node name"
    public let name = "NodeName"
    public init() {}

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let wanted = pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
        return wanted.isEmpty || wanted == node.name ? .success : .unresolvable(Self.reason)
    }
}
