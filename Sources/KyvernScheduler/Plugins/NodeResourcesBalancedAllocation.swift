public import KyvernAPI
import Foundation

/// Prefers nodes whose resources would be used in equal shares after placing the pod: a node
/// left with idle memory but no cpu is wasted. Scores 100 × (1 − standard deviation of the
/// requested fractions), as upstream.
///
/// Uses real requests (no defaults for missing cpu/memory), and skips best-effort pods, which
/// would otherwise all score the same and pile onto one node.
public struct NodeResourcesBalancedAllocation: PreScorePlugin, ScorePlugin {
    public let name = "NodeResourcesBalancedAllocation"
    /// Resource names compared (weights do not matter to a deviation).
    public var resources: [String]

    public init(resources: [String] = ["cpu", "memory"]) {
        self.resources = resources
    }

    /// Upstream's `NodeResourcesBalancedAllocationArgs`: `{"resources": [{"name": "cpu",
    /// "weight": 1}, {"name": "memory", "weight": 1}]}` (the default when absent).
    public init(args: JSONValue?) {
        let names = (args?["resources"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        self.init(resources: names.isEmpty ? ["cpu", "memory"] : names)
    }

    static let stateKey = "PreScoreNodeResourcesBalancedAllocation"

    static func isScalar(_ name: String) -> Bool {
        !["cpu", "memory", "ephemeral-storage"].contains(name)
    }

    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let requests = PodRequests(pod: pod).requests
        if resources.allSatisfy({ requests[$0] == 0 }) { return Status(.skip) }
        state.write(Self.stateKey, requests)
        return .success
    }

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        let request = state.read(Self.stateKey, as: Resources.self) ?? PodRequests(pod: pod).requests
        var fractions: [Double] = []
        fractions.reserveCapacity(resources.count)
        for resource in resources {
            let wanted = request[resource]
            // An extended resource the pod does not ask for is not compared.
            if wanted == 0 && Self.isScalar(resource) { continue }
            let allocatable = node.allocatable[resource]
            guard allocatable != 0 else { continue }
            fractions.append(min(Double(node.requested[resource] + wanted) / Double(allocatable), 1))
        }
        var deviation = 0.0
        if fractions.count == 2 {
            deviation = abs(fractions[0] - fractions[1]) / 2
        } else if fractions.count > 2 {
            let mean = fractions.reduce(0, +) / Double(fractions.count)
            deviation = sqrt(fractions.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(fractions.count))
        }
        return Int64((1 - deviation) * Double(maxNodeScore))
    }
}
