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

    /// Boxed so the per-node read costs one retain.
    final class Boxed: Sendable {
        let value: Resources
        init(_ value: Resources) { self.value = value }
    }

    static func isScalar(_ name: String) -> Bool {
        !NodeResourcesFit.isStandard(name)
    }

    public func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        let requests = PodRequests(pod: pod).requests
        if resources.allSatisfy({ requests[$0] == 0 }) { return Status(.skip) }
        state.write(Self.stateKey, Boxed(requests))
        return .success
    }

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        let request = state.read(Self.stateKey, as: Boxed.self)?.value ?? PodRequests(pod: pod).requests
        // Two passes instead of an array: this runs for every feasible node.
        func fraction(_ resource: String) -> Double? {
            let wanted = request[resource]
            // An extended resource the pod does not ask for is not compared.
            if wanted == 0 && Self.isScalar(resource) { return nil }
            let allocatable = node.allocatable[resource]
            guard allocatable != 0 else { return nil }
            return min(Double(node.requested[resource] + wanted) / Double(allocatable), 1)
        }
        var count = 0
        var sum = 0.0
        var first = 0.0
        var second = 0.0
        for resource in resources {
            guard let f = fraction(resource) else { continue }
            if count == 0 { first = f } else if count == 1 { second = f }
            count += 1
            sum += f
        }
        var deviation = 0.0
        if count == 2 {
            deviation = abs(first - second) / 2
        } else if count > 2 {
            let mean = sum / Double(count)
            var squares = 0.0
            for resource in resources {
                if let f = fraction(resource) { squares += (f - mean) * (f - mean) }
            }
            deviation = sqrt(squares / Double(count))
        }
        return Int64((1 - deviation) * Double(maxNodeScore))
    }
}
