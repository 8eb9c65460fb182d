public import KyvernAPI

/// Keeps a pod that names its node (`spec.nodeName`) to that node.
public struct NodeName: PreFilterPlugin, FilterPlugin {
    public static let reason = "node(s) didn't match the requested node name"
    public let name = "NodeName"
    public init() {}

    /// Skips the per-node check for the usual pod that names no node.
    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        (pod[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty ? Status(.skip) : .success
    }

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let wanted = pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
        return wanted.isEmpty || wanted == node.name ? .success : .unresolvable(Self.reason)
    }
}
