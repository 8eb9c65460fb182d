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
        state.write(Self.stateKey, PodRequests(pod: pod))
        return .success
    }

    private func requests(_ state: CycleState, _ pod: JSONValue) -> PodRequests {
        state.read(Self.stateKey, as: PodRequests.self) ?? PodRequests(pod: pod)
    }

    // MARK: Filter

    public func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let request = requests(state, pod).requests
        var reasons: [String] = []
        var unresolvable = false
        if Int64(node.podCount) + 1 > node.allocatable.allowedPodNumber {
            reasons.append("Too many pods")
        }
        var names = ["cpu", "memory", "ephemeral-storage"]
        names += request.scalar.keys.sorted().filter { !isIgnored($0) }
        for resource in names {
            let wanted = request[resource]
            guard wanted > 0 else { continue }
            let total = node.allocatable[resource]
            if wanted > total - node.requested[resource] {
                reasons.append("Insufficient \(resource)")
                // More than the whole node: no preemption can make room.
                if wanted > total { unresolvable = true }
            }
        }
        if reasons.isEmpty { return .success }
        return Status(unresolvable ? .unschedulableAndUnresolvable : .unschedulable, reasons)
    }

    // MARK: Score

    public func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64 {
        let pod = requests(state, pod)
        var requested: [Int64] = []
        var allocatable: [Int64] = []
        var weights: [Int64] = []
        for resource in resources {
            let isScalar = !["cpu", "memory", "ephemeral-storage"].contains(resource.name)
            // An extended resource the pod does not ask for must not favour nodes lacking it.
            if isScalar && pod.requests[resource.name] == 0 { continue }
            let alloc = node.allocatable[resource.name]
            guard alloc != 0 else { continue }
            let usesDefaults = resource.name == "cpu" || resource.name == "memory"
            let req = usesDefaults
                ? node.nonZeroRequested[resource.name] + pod.nonZero[resource.name]
                : node.requested[resource.name] + pod.requests[resource.name]
            requested.append(req)
            allocatable.append(alloc)
            weights.append(resource.weight)
        }
        switch strategy {
        case .leastAllocated:
            return weightedAverage(requested, allocatable, weights) { req, cap in
                cap == 0 || req > cap ? 0 : (cap - req) * maxNodeScore / cap
            }
        case .mostAllocated:
            return weightedAverage(requested, allocatable, weights) { req, cap in
                cap == 0 ? 0 : min(req, cap) * maxNodeScore / cap
            }
        case .requestedToCapacityRatio(let shape):
            return ratioScore(requested, allocatable, weights, shape: shape)
        }
    }

    private func weightedAverage(_ requested: [Int64], _ allocatable: [Int64], _ weights: [Int64],
                                 _ scorer: (Int64, Int64) -> Int64) -> Int64 {
        var total: Int64 = 0
        var weightSum: Int64 = 0
        for i in requested.indices {
            total += scorer(requested[i], allocatable[i]) * weights[i]
            weightSum += weights[i]
        }
        return weightSum == 0 ? 0 : total / weightSum
    }

    /// Upstream scales the shape's 0...10 scores to 0...100, skips resources scoring 0 from the
    /// average, and rounds the average to nearest.
    private func ratioScore(_ requested: [Int64], _ allocatable: [Int64], _ weights: [Int64],
                            shape: [ShapePoint]) -> Int64 {
        let points = shape.map { (utilization: $0.utilization, score: $0.score * maxNodeScore / 10) }
        func curve(_ p: Int64) -> Int64 {
            for i in points.indices where p <= points[i].utilization {
                if i == 0 { return points[0].score }
                let (lo, hi) = (points[i - 1], points[i])
                return lo.score + (hi.score - lo.score) * (p - lo.utilization) / (hi.utilization - lo.utilization)
            }
            return points.last?.score ?? 0
        }
        var total: Int64 = 0
        var weightSum: Int64 = 0
        for i in requested.indices {
            let (req, cap) = (requested[i], allocatable[i])
            let s = req > cap ? curve(100) : curve(req * 100 / cap)
            if s > 0 {
                total += s * weights[i]
                weightSum += weights[i]
            }
        }
        return weightSum == 0 ? 0 : Int64((Double(total) / Double(weightSum)).rounded())
    }
}
