public import KyvernAPI

/// One scheduling profile's plugins, run for one pod against a snapshot.
///
/// The runner is pure: it returns the chosen node (or why there is none) and leaves assuming,
/// binding and requeueing to the caller, which keeps every decision unit-testable.
public struct Framework: Sendable {
    /// Every plugin of the profile, in configuration order.
    public let plugins: [any Plugin]
    public let preFilters: [any PreFilterPlugin]
    public let filters: [any FilterPlugin]
    public let postFilters: [any PostFilterPlugin]
    public let preScores: [any PreScorePlugin]
    public let scorers: [(plugin: any ScorePlugin, weight: Int64)]

    /// Registers each plugin at every extension point it conforms to; `weights` gives Score
    /// weights by plugin name (default 1).
    public init(plugins: [any Plugin], weights: [String: Int64] = [:]) {
        self.plugins = plugins
        preFilters = plugins.compactMap { $0 as? any PreFilterPlugin }
        filters = plugins.compactMap { $0 as? any FilterPlugin }
        postFilters = plugins.compactMap { $0 as? any PostFilterPlugin }
        preScores = plugins.compactMap { $0 as? any PreScorePlugin }
        scorers = plugins.compactMap { $0 as? any ScorePlugin }.map { ($0, weights[$0.name] ?? 1) }
    }

    public struct Result: Sendable {
        public var nodeName: String
        /// Weighted total per feasible node (empty when only one node was feasible: upstream
        /// skips scoring then).
        public var totals: [String: Int64]
        public var state: CycleState
    }

    /// Picks a node for `pod`, or throws a ``FitError`` with upstream's diagnosis.
    ///
    /// Ties between equal totals go to the first node in snapshot (name) order. Upstream picks
    /// randomly among them; a deterministic choice makes runs reproducible, and
    /// LeastAllocated scoring already spreads pods because each placement lowers that node.
    public func schedule(pod: JSONValue, snapshot: Snapshot) throws(FitError) -> Result {
        var state = CycleState()
        let nodes = snapshot.nodes
        var fitError = FitError(numAllNodes: nodes.count, nodeStatuses: [:])

        var skippedFilters: Set<String> = []
        for plugin in preFilters {
            let status = plugin.preFilter(state: &state, pod: pod, nodes: nodes)
            if status.isSkip { skippedFilters.insert(plugin.name); continue }
            if !status.isSuccess {
                fitError.preFilterMessage = status.message
                for node in nodes { fitError.nodeStatuses[node.name] = status }
                runPostFilters(state: state, pod: pod, error: &fitError)
                throw fitError
            }
        }

        let activeFilters = filters.filter { !skippedFilters.contains($0.name) }
        var feasible: [NodeInfo] = []
        for node in nodes {
            var rejected: Status?
            for plugin in activeFilters {
                var status = plugin.filter(state: state, pod: pod, node: node)
                if !status.isSuccess {
                    status.plugin = plugin.name
                    rejected = status
                    break
                }
            }
            if let rejected { fitError.nodeStatuses[node.name] = rejected } else { feasible.append(node) }
        }
        if feasible.isEmpty {
            runPostFilters(state: state, pod: pod, error: &fitError)
            throw fitError
        }
        if feasible.count == 1 {
            return Result(nodeName: feasible[0].name, totals: [:], state: state)
        }

        let totals = score(state: &state, pod: pod, nodes: feasible)
        var best = feasible[0].name
        for node in feasible where totals[node.name, default: 0] > totals[best, default: 0] {
            best = node.name
        }
        return Result(nodeName: best, totals: totals, state: state)
    }

    /// PreScore, Score, NormalizeScore and the weighted sum over the feasible nodes.
    func score(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> [String: Int64] {
        var skipped: Set<String> = []
        for plugin in preScores where plugin.preScore(state: &state, pod: pod, nodes: nodes).isSkip {
            skipped.insert(plugin.name)
        }
        var totals: [String: Int64] = Dictionary(uniqueKeysWithValues: nodes.map { ($0.name, 0) })
        for (plugin, weight) in scorers where !skipped.contains(plugin.name) {
            var scores = nodes.map { NodeScore(name: $0.name, score: plugin.score(state: state, pod: pod, node: $0)) }
            plugin.normalizeScores(state: state, pod: pod, scores: &scores)
            for entry in scores { totals[entry.name, default: 0] += entry.score * weight }
        }
        return totals
    }

    private func runPostFilters(state: CycleState, pod: JSONValue, error: inout FitError) {
        for plugin in postFilters {
            let (_, status) = plugin.postFilter(state: state, pod: pod, nodeStatuses: error.nodeStatuses)
            if !status.message.isEmpty { error.postFilterMessage = status.message }
            if status.isSuccess { break }
        }
    }
}
