public import KyvernAPI

/// Makes room for a pod that fits nowhere by evicting lower-priority pods, as upstream's
/// DefaultPreemption: on each node where eviction could help, it removes every lower-priority
/// pod, checks the pod then passes the filters, puts back as many of them as still lets it fit
/// (most important first, PodDisruptionBudget-protected ones before the rest), and finally picks
/// the node whose victims hurt least.
///
/// The result carries the nominated node and the victims; deleting them and setting
/// `status.nominatedNodeName` is the caller's job.
public struct DefaultPreemption: PostFilterPlugin {
    public static let noVictimsReason = "No preemption victims found for incoming pod"
    public static let notHelpfulReason = "Preemption is not helpful for scheduling"

    public let name = "DefaultPreemption"
    /// At least this share of the candidate nodes is dry-run…
    public var minCandidateNodesPercentage: Int
    /// …and at least this many (all when fewer).
    public var minCandidateNodesAbsolute: Int

    public init(minCandidateNodesPercentage: Int = 10, minCandidateNodesAbsolute: Int = 100) {
        self.minCandidateNodesPercentage = minCandidateNodesPercentage
        self.minCandidateNodesAbsolute = minCandidateNodesAbsolute
    }

    /// Upstream's `DefaultPreemptionArgs`: `{"minCandidateNodesPercentage": 10,
    /// "minCandidateNodesAbsolute": 100}`.
    public init(args: JSONValue?) {
        self.init(minCandidateNodesPercentage: Int(args?["minCandidateNodesPercentage"]?.intValue ?? 10),
                  minCandidateNodesAbsolute: Int(args?["minCandidateNodesAbsolute"]?.intValue ?? 100))
    }

    /// A node where evicting `victims` (most important first) lets the pod fit.
    struct Candidate: Sendable {
        var node: String
        var victims: [NodeInfo.PodEntry]
        var pdbViolations: Int
    }

    public func postFilter(_ context: PostFilterContext) -> PostFilterResult {
        if let reason = ineligibility(context) {
            return PostFilterResult(status: .unschedulable("preemption: " + reason))
        }
        var statuses: [String: Status] = [:]
        var potential: [NodeInfo] = []
        for node in context.snapshot.nodes {
            if context.nodeStatuses[node.name]?.code == .unschedulableAndUnresolvable {
                statuses[node.name] = .unresolvable(Self.notHelpfulReason)
            } else {
                potential.append(node)
            }
        }
        var candidates: [Candidate] = []
        if !potential.isEmpty {
            let budgets = context.snapshot.cluster.podDisruptionBudgets.map(Budget.init(json:))
            let wanted = numCandidates(potential.count)
            var nonViolating = 0
            for node in potential {
                let (victims, violations, status) = selectVictims(on: node, context: context, budgets: budgets)
                if status.isSuccess {
                    if victims.isEmpty {
                        statuses[node.name] = Status(.error, ["expected at least one victim pod on node \"\(node.name)\""])
                        continue
                    }
                    candidates.append(Candidate(node: node.name, victims: victims, pdbViolations: violations))
                    if violations == 0 { nonViolating += 1 }
                    if nonViolating > 0 && candidates.count >= wanted { break }
                } else {
                    statuses[node.name] = status
                }
            }
        }
        guard let best = Self.pickNode(candidates) else {
            let fitError = FitError(numAllNodes: context.snapshot.nodes.count, nodeStatuses: statuses)
            return PostFilterResult(status: .unschedulable("preemption: " + fitError.message))
        }
        return PostFilterResult(nominatedNodeName: best.node, victims: best.victims.map(\.pod), status: .success)
    }

    /// Upstream's `PodEligibleToPreemptOthers`.
    func ineligibility(_ context: PostFilterContext) -> String? {
        let pod = context.pod
        if pod[path: ["spec", "preemptionPolicy"]]?.stringValue == "Never" {
            return "not eligible due to preemptionPolicy=Never."
        }
        let nominated = pod[path: ["status", "nominatedNodeName"]]?.stringValue ?? ""
        guard !nominated.isEmpty, context.nodeStatuses[nominated]?.code != .unschedulableAndUnresolvable,
              let node = context.snapshot[nominated] else { return nil }
        let priority = PodFacts.priority(of: pod)
        for entry in node.pods.values where entry.priority < priority && Self.terminatingByPreemption(entry.pod) {
            return "not eligible due to a terminating pod on the nominated node."
        }
        return nil
    }

    static func terminatingByPreemption(_ pod: JSONValue) -> Bool {
        guard let deletion = pod[path: ["metadata", "deletionTimestamp"]], !deletion.isNull else { return false }
        return (pod[path: ["status", "conditions"]]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "DisruptionTarget" && $0["status"]?.stringValue == "True"
                && $0["reason"]?.stringValue == "PreemptionByScheduler"
        }
    }

    func numCandidates(_ nodes: Int) -> Int {
        min(max(nodes * minCandidateNodesPercentage / 100, minCandidateNodesAbsolute), nodes)
    }

    // MARK: Victims on one node

    /// A PodDisruptionBudget as preemption reads it.
    struct Budget: Sendable {
        var namespace: String
        var selector: LabelSelector
        var disruptionsAllowed: Int64
        var disruptedPods: Set<String>

        init(json: JSONValue) {
            namespace = json[path: ["metadata", "namespace"]]?.stringValue ?? ""
            selector = (try? LabelSelector(labelSelector: json[path: ["spec", "selector"]])) ?? .nothing
            disruptionsAllowed = json[path: ["status", "disruptionsAllowed"]]?.intValue ?? 0
            disruptedPods = Set((json[path: ["status", "disruptedPods"]]?.objectValue ?? [:]).keys)
        }
    }

    /// Upstream's `SelectVictimsOnNode`: the victims (most important first), how many of them
    /// violate a budget, and the status.
    func selectVictims(on original: NodeInfo, context: PostFilterContext, budgets: [Budget])
        -> (victims: [NodeInfo.PodEntry], violations: Int, status: Status) {
        let pod = context.pod
        let framework = context.framework
        var node = original
        var state = context.state
        let priority = PodFacts.priority(of: pod)
        var potential = node.pods.values.filter { $0.priority < priority }
        if potential.isEmpty { return ([], 0, .unresolvable(Self.noVictimsReason)) }
        for entry in potential {
            node.remove(podKey: entry.key)
            framework.runRemovePod(state: &state, pod: pod, podToRemove: entry, node: node)
        }
        let fits = framework.runFilters(state: state, pod: pod, node: node)
        if !fits.isSuccess { return ([], 0, fits) }

        potential.sort(by: Self.moreImportant)
        let (violating, nonViolating) = Self.splitByBudgets(potential, budgets)
        var victims: [NodeInfo.PodEntry] = []
        var violations = 0
        func reprieve(_ entry: NodeInfo.PodEntry) -> Bool {
            node.add(entry: entry)
            framework.runAddPod(state: &state, pod: pod, podToAdd: entry, node: node)
            if framework.runFilters(state: state, pod: pod, node: node).isSuccess { return true }
            node.remove(podKey: entry.key)
            framework.runRemovePod(state: &state, pod: pod, podToRemove: entry, node: node)
            victims.append(entry)
            return false
        }
        for entry in violating where !reprieve(entry) { violations += 1 }
        for entry in nonViolating { _ = reprieve(entry) }
        if !violating.isEmpty && !nonViolating.isEmpty { victims.sort(by: Self.moreImportant) }
        return (victims, violations, .success)
    }

    /// Upstream's `filterPodsWithPDBViolation`: each budget's allowance is used up in victim
    /// order; a pod that takes a budget below zero is violating.
    static func splitByBudgets(_ entries: [NodeInfo.PodEntry], _ budgets: [Budget])
        -> (violating: [NodeInfo.PodEntry], nonViolating: [NodeInfo.PodEntry]) {
        var allowed = budgets.map(\.disruptionsAllowed)
        var violating: [NodeInfo.PodEntry] = []
        var nonViolating: [NodeInfo.PodEntry] = []
        for entry in entries {
            var violated = false
            if !entry.labels.isEmpty {
                let name = entry.pod[path: ["metadata", "name"]]?.stringValue ?? ""
                for (i, budget) in budgets.enumerated() where budget.namespace == entry.namespace {
                    guard !budget.selector.isEmpty, !budget.selector.matchesNothing,
                          budget.selector.matches(entry.labels), !budget.disruptedPods.contains(name) else { continue }
                    allowed[i] -= 1
                    if allowed[i] < 0 { violated = true }
                }
            }
            if violated { violating.append(entry) } else { nonViolating.append(entry) }
        }
        return (violating, nonViolating)
    }

    /// A pod without a start time counts as started now, i.e. after any recorded one.
    static func startTime(_ entry: NodeInfo.PodEntry) -> String {
        entry.pod[path: ["status", "startTime"]]?.stringValue ?? "9999-12-31T23:59:59Z"
    }

    /// Upstream's `MoreImportantPod`: higher priority, then the earlier start.
    static func moreImportant(_ a: NodeInfo.PodEntry, _ b: NodeInfo.PodEntry) -> Bool {
        if a.priority != b.priority { return a.priority > b.priority }
        return startTime(a) < startTime(b)
    }

    // MARK: Choosing the node

    /// Upstream's `pickOneNodeForPreemption`: fewest budget violations, then the lowest
    /// highest-victim priority, the smallest priority sum, the fewest victims, the latest start
    /// of the highest-priority victims; the first of the remaining.
    static func pickNode(_ candidates: [Candidate]) -> Candidate? {
        guard !candidates.isEmpty else { return nil }
        var remaining = candidates
        func keepBest<T: Comparable>(_ key: (Candidate) -> T, lowest: Bool) {
            let values = remaining.map(key)
            let best = lowest ? values.min()! : values.max()!
            remaining = zip(remaining, values).filter { $0.1 == best }.map(\.0)
        }
        keepBest({ $0.pdbViolations }, lowest: true)
        keepBest({ $0.victims.first?.priority ?? Int64.min }, lowest: true)
        // Priorities may be negative: shift each into the positive range before adding.
        keepBest({ $0.victims.reduce(0) { $0 + $1.priority + Int64(Int32.max) + 1 } }, lowest: true)
        keepBest({ $0.victims.count }, lowest: true)
        keepBest({ candidate in
            let top = candidate.victims.first?.priority
            return candidate.victims.filter { $0.priority == top }.map(startTime).min() ?? ""
        }, lowest: false)
        return remaining.first
    }
}
