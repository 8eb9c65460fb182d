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
    public let reservers: [any ReservePlugin]
    public let permitters: [any PermitPlugin]
    public let preBinders: [any PreBindPlugin]
    public let binders: [any BindPlugin]
    /// The profile's `percentageOfNodesToScore`; nil (or 0) is upstream's adaptive default.
    public let percentageOfNodesToScore: Int?
    let rotation = NodeRotation()
    /// Pods of this profile held at Permit; shared by every copy of the framework.
    public let waitingPods = WaitingPods()

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
        reservers = plugins.compactMap { $0 as? any ReservePlugin }
        permitters = plugins.compactMap { $0 as? any PermitPlugin }
        preBinders = plugins.compactMap { $0 as? any PreBindPlugin }
        binders = plugins.compactMap { $0 as? any BindPlugin }
        self.percentageOfNodesToScore = percentageOfNodesToScore
    }

    public struct Result: Sendable {
        public var nodeName: String
        /// The scored nodes' names and weighted totals, side by side (empty when only one node
        /// was feasible: upstream skips scoring then). Kept as arrays: a map by name is built
        /// only when asked for, not on every cycle.
        var scoredNames: [String] = []
        var scoredTotals: [Int64] = []
        public var state: CycleState

        /// Weighted total per scored node.
        public var totals: [String: Int64] {
            Dictionary(uniqueKeysWithValues: zip(scoredNames, scoredTotals))
        }
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

        let nominatedPods = snapshot.nominatedPods
        if let nominated = pod[path: ["status", "nominatedNodeName"]]?.stringValue, !nominated.isEmpty,
           let node = snapshot[nominated],
           runFilters(activeFilters, state: state, pod: pod, node: node, nominated: nominatedPods).isSuccess {
            return Result(nodeName: nominated, state: state)
        }

        let wanted = NodeSampling.numFeasibleNodesToFind(percentage: percentageOfNodesToScore,
                                                         numAllNodes: nodes.count)
        let start = rotation.start(count: nodes.count)
        var feasibleIndices: [Int] = []
        feasibleIndices.reserveCapacity(min(wanted, nodes.count))
        // Rejections are kept by index and turned into the by-name map only when the pod fits
        // nowhere: on a crowded cluster most nodes are rejected, and hashing every node's name
        // into a map that a successful cycle throws away cost more than the filters themselves.
        var rejected: [(index: Int, status: Status)] = []
        var processed = 0
        var index = start
        for _ in 0..<nodes.count {
            processed += 1
            let status = nominatedPods.isEmpty
                ? Self.runFilters(activeFilters, state: state, pod: pod, node: nodes[index])
                : runFilters(activeFilters, state: state, pod: pod, node: nodes[index], nominated: nominatedPods)
            if status.isSuccess {
                feasibleIndices.append(index)
                if feasibleIndices.count >= wanted { break }
            } else {
                rejected.append((index, status))
            }
            index += 1
            if index == nodes.count { index = 0 }
        }
        let feasible = feasibleIndices.map { nodes[$0] }
        rotation.advance(by: processed, count: nodes.count)

        if feasible.isEmpty {
            fitError.nodeStatuses.reserveCapacity(rejected.count)
            for entry in rejected { fitError.nodeStatuses[nodes[entry.index].name] = entry.status }
            runPostFilters(state: state, pod: pod, snapshot: snapshot, error: &fitError)
            throw fitError
        }
        if feasible.count == 1 {
            return Result(nodeName: feasible[0].name, state: state)
        }

        let sums = score(state: &state, pod: pod, nodes: feasible)
        var best = 0
        for i in sums.indices where sums[i] > sums[best] { best = i }
        return Result(nodeName: feasible[best].name, scoredNames: feasible.map(\.name), scoredTotals: sums, state: state)
    }

    /// Runs the filters the pod's PreFilter did not skip, holding room for the node's nominated
    /// pods; the first rejection wins, tagged with its plugin. Preemption calls this on a node
    /// with victims removed.
    public func runFilters(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status {
        let skipped = state.read(Self.skippedFiltersKey, as: Set<String>.self) ?? []
        let active = skipped.isEmpty ? filters : filters.filter { !skipped.contains($0.name) }
        return runFilters(active, state: state, pod: pod, node: node, nominated: state.snapshot?.nominatedPods ?? [:])
    }

    /// Upstream's `RunFilterPluginsWithNominatedPods`: first with the node's nominated pods of
    /// equal or higher priority added (so their room stays theirs), then — when some were
    /// added and the pod passed — again without them, because a pod with affinity to a
    /// nominated pod must not rely on a pod that is not there yet.
    func runFilters(_ active: [any FilterPlugin], state: CycleState, pod: JSONValue, node: NodeInfo,
                    nominated: [String: [NodeInfo.PodEntry]]) -> Status {
        guard let entries = nominated[node.name], !entries.isEmpty else {
            return Self.runFilters(active, state: state, pod: pod, node: node)
        }
        let priority = PodFacts.priority(of: pod)
        let key = NodeInfo.key(of: pod)
        var withNominated = node
        var stateWithNominated = state
        var added = false
        for entry in entries where entry.priority >= priority && entry.key != key {
            withNominated.add(entry: entry)
            runAddPod(state: &stateWithNominated, pod: pod, podToAdd: entry, node: withNominated)
            added = true
        }
        guard added else { return Self.runFilters(active, state: state, pod: pod, node: node) }
        let status = Self.runFilters(active, state: stateWithNominated, pod: pod, node: withNominated)
        guard status.isSuccess else { return status }
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
    /// The weighted total of each of `nodes`, in their order.
    func score(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> [Int64] {
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
        return sums
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
