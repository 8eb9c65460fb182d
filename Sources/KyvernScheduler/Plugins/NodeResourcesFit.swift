public import KyvernAPI

/// Filters out nodes without room for the pod's requests and scores the rest by how full they
/// would be, with upstream's three strategies.
///
/// Filtering uses real requests; scoring uses requests with cpu/memory defaults for containers
/// that request nothing, so such pods still spread (upstream's "non-zero" requests).
public struct NodeResourcesFit: PreFilterPlugin, FilterPlugin, ScorePlugin {
    public enum Strategy: Sendable, Hashable {
        /// Prefers emptier nodes: spreads load.
        case leastAllocated
        /// Prefers fuller nodes: packs pods onto few nodes.
        case mostAllocated
        /// Scores utilization (0...100) through a piecewise-linear shape of (utilization,
        /// score 0...10) points.
        case requestedToCapacityRatio(shape: [ShapePoint])
    }

    /// One point of the RequestedToCapacityRatio curve, sorted by utilization as upstream's
    /// validation demands.
    public struct ShapePoint: Sendable, Hashable {
        public var utilization: Int64
        public var score: Int64
        public init(utilization: Int64, score: Int64) {
            self.utilization = utilization
            self.score = score
        }
    }

    public struct ResourceWeight: Sendable, Hashable {
        public var name: String
        public var weight: Int64
        public init(_ name: String, weight: Int64 = 1) {
            self.name = name
            self.weight = weight
        }
    }

    public let name = "NodeResourcesFit"
    public var strategy: Strategy
    public var resources: [ResourceWeight]
    /// Extended resources the filter does not check (another component accounts for them),
    /// by full name or by the group before the `/`.
    public var ignoredResources: Set<String>
    public var ignoredResourceGroups: Set<String>

    public init(strategy: Strategy = .leastAllocated,
                resources: [ResourceWeight] = [ResourceWeight("cpu"), ResourceWeight("memory")],
                ignoredResources: Set<String> = [], ignoredResourceGroups: Set<String> = []) {
        self.strategy = strategy
        self.resources = resources
        self.ignoredResources = ignoredResources
        self.ignoredResourceGroups = ignoredResourceGroups
    }

    private func isIgnored(_ resource: String) -> Bool {
        guard let slash = resource.firstIndex(of: "/") else { return false }
        return ignoredResources.contains(resource) || ignoredResourceGroups.contains(String(resource[..<slash]))
    }

    static let stateKey = "PreFilterNodeResourcesFit"

    public func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status {
        state.write(Self.stateKey, Prepared(pod: pod, isIgnored: isIgnored))
        return .success
    }

    /// The pod's requests, boxed so reading them for each node costs one retain.
    final class Prepared: Sendable {
        let requests: PodRequests
        /// Extended resources the pod asks for, in the order reasons are reported.
        let scalarNames: [String]

        init(pod: JSONValue, isIgnored: (String) -> Bool) {
            requests = PodRequests(pod: pod)
            scalarNames = requests.requests.scalar.keys.sorted().filter { !isIgnored($0) }
        }
    }

    private func prepared(_ state: CycleState, _ pod: JSONValue) -> Prepared {
        state.read(Self.stateKey, as: Prepared.self) ?? Prepared(pod: pod, isIgnored: isIgnored)
    }

    private func requests(_ state: CycleState, _ pod: JSONValue) -> PodRequests {
        prepared(state, pod).requests
    }

    static func isStandard(_ name: String) -> Bool {
        name == "cpu" || name == "memory" || name == "ephemeral-storage"
    }

    // MARK: Filter

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let prepared = prepared(state, pod)
        let request = prepared.requests.requests
        var reasons: [String] = []
        var unresolvable = false
        if Int64(node.podCount) + 1 > node.allocatable.allowedPodNumber {
            reasons.append("Too many pods")
        }
        func check(_ resource: String, _ wanted: Int64, _ total: Int64, _ used: Int64) {
            guard wanted > 0, wanted > total - used else { return }
            reasons.append("Insufficient " + resource)
            // More than the whole node: no preemption can make room.
            if wanted > total { unresolvable = true }
        }
        let allocatable = node.allocatable
        let used = node.requested
        check("cpu", request.milliCPU, allocatable.milliCPU, used.milliCPU)
        check("memory", request.memory, allocatable.memory, used.memory)
        check("ephemeral-storage", request.ephemeralStorage, allocatable.ephemeralStorage, used.ephemeralStorage)
        for resource in prepared.scalarNames {
            check(resource, request[resource], allocatable[resource], used[resource])
        }
        if reasons.isEmpty { return .success }
        return Status(unresolvable ? .unschedulableAndUnresolvable : .unschedulable, reasons)
    }

    // MARK: Score

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        let pod = requests(state, pod)
        // Accumulated in place (no per-node arrays): this runs for every feasible node.
        var total: Int64 = 0
        var weightSum: Int64 = 0
        for resource in resources {
            let isScalar = !Self.isStandard(resource.name)
            // An extended resource the pod does not ask for must not favour nodes lacking it.
            if isScalar && pod.requests[resource.name] == 0 { continue }
            let cap = node.allocatable[resource.name]
            guard cap != 0 else { continue }
            let usesDefaults = resource.name == "cpu" || resource.name == "memory"
            let req = usesDefaults
                ? node.nonZeroRequested[resource.name] + pod.nonZero[resource.name]
                : node.requested[resource.name] + pod.requests[resource.name]
            switch strategy {
            case .leastAllocated:
                total += (req > cap ? 0 : (cap - req) * maxNodeScore / cap) * resource.weight
                weightSum += resource.weight
            case .mostAllocated:
                total += min(req, cap) * maxNodeScore / cap * resource.weight
                weightSum += resource.weight
            case .requestedToCapacityRatio(let shape):
                let s = Self.curve(shape, req > cap ? 100 : req * 100 / cap)
                if s > 0 {
                    total += s * resource.weight
                    weightSum += resource.weight
                }
            }
        }
        guard weightSum != 0 else { return 0 }
        if case .requestedToCapacityRatio = strategy {
            return Int64((Double(total) / Double(weightSum)).rounded())
        }
        return total / weightSum
    }

    /// RequestedToCapacityRatio: upstream scales the shape's 0...10 scores to 0...100, leaves
    /// resources scoring 0 out of the average, and rounds the average to nearest.
    static func curve(_ shape: [ShapePoint], _ p: Int64) -> Int64 {
        let scale = maxNodeScore / 10
        for i in shape.indices where p <= shape[i].utilization {
            if i == 0 { return shape[0].score * scale }
            let (lo, hi) = (shape[i - 1], shape[i])
            return lo.score * scale + (hi.score * scale - lo.score * scale) * (p - lo.utilization)
                / (hi.utilization - lo.utilization)
        }
        return (shape.last?.score ?? 0) * scale
    }
}
