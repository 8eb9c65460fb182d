public import KyvernAPI

/// One scheduling profile's plugins, run for one pod against a snapshot.
///
/// The runner is pure apart from the rotating node start index: it returns the chosen node (or
/// why there is none) and leaves assuming, binding and requeueing to the caller, which keeps
/// every decision unit-testable.
public struct Framework: Sendable {
    /// Every plugin of the profile, in configuration order.
    public let plugins: [any Plugin]
    public let preFilters: [any PreFilterPlugin]
    public let filters: [any FilterPlugin]
    public let postFilters: [any PostFilterPlugin]
    public let preScores: [any PreScorePlugin]
    public let scorers: [(plugin: any ScorePlugin, weight: Int64)]
    let preFilterExtensions: [any PreFilterExtensions]
    /// The profile's `percentageOfNodesToScore`; nil (or 0) is upstream's adaptive default.
    public let percentageOfNodesToScore: Int?
    let rotation = NodeRotation()

    static let skippedFiltersKey = "FrameworkSkippedFilters"

    /// Registers each plugin at every extension point it conforms to; `weights` gives Score
    /// weights by plugin name (default 1).
    public init(plugins: [any Plugin], weights: [String: Int64] = [:], percentageOfNodesToScore: Int? = nil) {
        self.plugins = plugins
        preFilters = plugins.compactMap { $0 as? any PreFilterPlugin }
        filters = plugins.compactMap { $0 as? any FilterPlugin }
        postFilters = plugins.compactMap { $0 as? any PostFilterPlugin }
        preScores = plugins.compactMap { $0 as? any PreScorePlugin }
        scorers = plugins.compactMap { $0 as? any ScorePlugin }.map { ($0, weights[$0.name] ?? 1) }
        preFilterExtensions = plugins.compactMap { $0 as? any PreFilterExtensions }
        self.percentageOfNodesToScore = percentageOfNodesToScore
    }

    public struct Result: Sendable {
        public var nodeName: String
        /// Weighted total per feasible node (empty when only one node was feasible: upstream
        /// skips scoring then).
        public var totals: [String: Int64]
        public var state: CycleState
    }

    /// Picks a node for `pod`, or throws a ``FitError`` with upstream's diagnosis (and, when
    /// preemption found room, the nominated node and victims).
    ///
    /// Filtering starts where the previous cycle stopped and ends once
    /// ``NodeSampling/numFeasibleNodesToFind(percentage:numAllNodes:)`` nodes passed; a pod that
    /// fits nowhere is still checked against every node. A pod with `status.nominatedNodeName`
    /// tries that node first and takes it when it passes.
    ///
    /// Ties between equal totals go to the first feasible node in evaluation order. Upstream
    /// picks randomly among them; a deterministic choice makes runs reproducible, and
    /// LeastAllocated scoring already spreads pods because each placement lowers that node.
    public func schedule(pod: JSONValue, snapshot: Snapshot) throws(FitError) -> Result {
        var state = CycleState(snapshot: snapshot)
        let nodes = snapshot.nodes
        var fitError = FitError(numAllNodes: nodes.count, nodeStatuses: [:])
        if nodes.isEmpty { throw fitError }

        var skippedFilters: Set<String> = []
        for plugin in preFilters {
            let status = plugin.preFilter(state: &state, pod: pod, nodes: nodes)
            if status.isSkip { skippedFilters.insert(plugin.name); continue }
            if !status.isSuccess {
                fitError.preFilterMessage = status.message
                for node in nodes { fitError.nodeStatuses[node.name] = status }
                runPostFilters(state: state, pod: pod, snapshot: snapshot, error: &fitError)
                throw fitError
            }
        }
        state.write(Self.skippedFiltersKey, skippedFilters)
        let activeFilters = filters.filter { !skippedFilters.contains($0.name) }

        if let nominated = pod[path: ["status", "nominatedNodeName"]]?.stringValue, !nominated.isEmpty,
           let node = snapshot[nominated], Self.runFilters(activeFilters, state: state, pod: pod, node: node).isSuccess {
            return Result(nodeName: nominated, totals: [:], state: state)
        }

        let wanted = NodeSampling.numFeasibleNodesToFind(percentage: percentageOfNodesToScore,
                                                         numAllNodes: nodes.count)
        let start = rotation.start(count: nodes.count)
        var feasible: [NodeInfo] = []
        feasible.reserveCapacity(wanted)
        var processed = 0
        for offset in 0..<nodes.count {
            let node = nodes[(start + offset) % nodes.count]
            processed += 1
            let status = Self.runFilters(activeFilters, state: state, pod: pod, node: node)
            if status.isSuccess {
                feasible.append(node)
                if feasible.count >= wanted { break }
            } else {
                fitError.nodeStatuses[node.name] = status
            }
        }
        rotation.advance(by: processed, count: nodes.count)

        if feasible.isEmpty {
            runPostFilters(state: state, pod: pod, snapshot: snapshot, error: &fitError)
            throw fitError
        }
        if feasible.count == 1 {
            return Result(nodeName: feasible[0].name, totals: [:], state: state)
        }

        let totals = score(state: &state, pod: pod, nodes: feasible)
        var best = feasible[0].name
        var bestTotal = totals[best, default: 0]
        for node in feasible {
            let total = totals[node.name, default: 0]
            if total > bestTotal { best = node.name; bestTotal = total }
        }
        return Result(nodeName: best, totals: totals, state: state)
    }

    /// Runs the filters the pod's PreFilter did not skip; the first rejection wins, tagged with
    /// its plugin. Preemption calls this on a node with victims removed.
    public func runFilters(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let skipped = state.read(Self.skippedFiltersKey, as: Set<String>.self) ?? []
        let active = skipped.isEmpty ? filters : filters.filter { !skipped.contains($0.name) }
        return Self.runFilters(active, state: state, pod: pod, node: node)
    }

    static func runFilters(_ filters: [any FilterPlugin], state: CycleState, pod: JSONValue,
                           node: NodeInfo) -> Status {
        for plugin in filters {
            var status = plugin.filter(state: state, pod: pod, node: node)
            if !status.isSuccess {
                status.plugin = plugin.name
                return status
            }
        }
        return .success
    }

    /// Tells every PreFilter extension that `entry` left `node` (preemption's simulation).
    public func runRemovePod(state: inout CycleState, pod: JSONValue, podToRemove entry: NodeInfo.PodEntry,
                             node: NodeInfo) {
        let skipped = state.read(Self.skippedFiltersKey, as: Set<String>.self) ?? []
        for plugin in preFilterExtensions where !skipped.contains(plugin.name) {
            plugin.removePod(state: &state, pod: pod, podToRemove: entry, node: node)
        }
    }

    /// Tells every PreFilter extension that `entry` is (back) on `node`.
    public func runAddPod(state: inout CycleState, pod: JSONValue, podToAdd entry: NodeInfo.PodEntry,
                          node: NodeInfo) {
        let skipped = state.read(Self.skippedFiltersKey, as: Set<String>.self) ?? []
        for plugin in preFilterExtensions where !skipped.contains(plugin.name) {
            plugin.addPod(state: &state, pod: pod, podToAdd: entry, node: node)
        }
    }

    /// PreScore, Score, NormalizeScore and the weighted sum over the feasible nodes.
    func score(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> [String: Int64] {
        var skipped: Set<String> = []
        for plugin in preScores where plugin.preScore(state: &state, pod: pod, nodes: nodes).isSkip {
            skipped.insert(plugin.name)
        }
        var sums = [Int64](repeating: 0, count: nodes.count)
        for (plugin, weight) in scorers where !skipped.contains(plugin.name) {
            var scores = nodes.map { NodeScore(name: $0.name, score: plugin.score(state: state, pod: pod, node: $0)) }
            plugin.normalizeScores(state: state, pod: pod, scores: &scores)
            for i in scores.indices { sums[i] += scores[i].score * weight }
        }
        var totals: [String: Int64] = [:]
        totals.reserveCapacity(nodes.count)
        for i in nodes.indices { totals[nodes[i].name] = sums[i] }
        return totals
    }

    /// Upstream's `RunPostFilterPlugins`: the first success wins; otherwise the last message.
    private func runPostFilters(state: CycleState, pod: JSONValue, snapshot: Snapshot, error: inout FitError) {
        for plugin in postFilters {
            let context = PostFilterContext(state: state, pod: pod, nodeStatuses: error.nodeStatuses,
                                            snapshot: snapshot, framework: self)
            let result = plugin.postFilter(context)
            if !result.status.message.isEmpty { error.postFilterMessage = result.status.message }
            if result.status.isSuccess {
                error.nominatedNodeName = result.nominatedNodeName
                error.victims = result.victims
                break
            }
        }
    }
}
