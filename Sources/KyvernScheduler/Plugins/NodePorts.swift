public import KyvernAPI

/// Keeps a pod off nodes where a host port it asks for is already held by another pod.
public struct NodePorts: PreFilterPlugin, FilterPlugin {
    public static let reason = "node(s) didn't have free ports for the requested pod ports"
    public let name = "NodePorts"
    public init() {}

    static let stateKey = "PreFilterNodePorts"

    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let ports = HostPort.of(pod: pod)
        if ports.isEmpty { return Status(.skip) }
        state.write(Self.stateKey, ports)
        return .success
    }

    /// Resolvable: evicting the pod holding the port frees it, so preemption may help.
    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let wanted = state.read(Self.stateKey, as: [HostPort].self) ?? HostPort.of(pod: pod)
        let clash = wanted.contains { port in node.usedPorts.contains { $0.conflicts(with: port) } }
        return clash ? .unschedulable(Self.reason) : .success
    }
}
