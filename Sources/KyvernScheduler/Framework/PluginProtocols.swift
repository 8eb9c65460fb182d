public import KyvernAPI

/// Upstream's highest score a Score plugin may give a node (after NormalizeScore).
public let maxNodeScore: Int64 = 100

/// One scheduling plugin. Each extension point is its own small protocol so a plugin adopts
/// exactly the points it needs and the framework finds them by conformance.
public protocol Plugin: Sendable {
    var name: String { get }
}

public protocol PreFilterPlugin: Plugin {
    /// Computes per-pod state once; `.skip` removes this plugin's Filter for the pod.
    func preFilter(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status
}

public protocol FilterPlugin: Plugin {
    func filter(state: CycleState, pod: JSONValue, node: NodeInfo) -> Status
}

/// Lets preemption keep a PreFilter plugin's per-cycle state right while it simulates removing
/// pods from a node (and putting reprieved ones back) before re-running the filters.
public protocol PreFilterExtensions: PreFilterPlugin {
    func addPod(state: inout CycleState, pod: JSONValue, podToAdd: NodeInfo.PodEntry, node: NodeInfo)
    func removePod(state: inout CycleState, pod: JSONValue, podToRemove: NodeInfo.PodEntry, node: NodeInfo)
}

/// Runs when no node passed the filters (preemption lives here).
///
/// A plugin implements either form: the short one only sees the node statuses; the one taking a
/// ``PostFilterContext`` also gets the snapshot and the framework (to re-run filters) and may
/// return victims. The framework calls the context form, which by default calls the short one.
public protocol PostFilterPlugin: Plugin {
    func postFilter(state: CycleState, pod: JSONValue, nodeStatuses: [String: Status])
        -> (nominatedNodeName: String?, status: Status)
    func postFilter(_ context: PostFilterContext) -> PostFilterResult
}

extension PostFilterPlugin {
    public func postFilter(state: CycleState, pod: JSONValue, nodeStatuses: [String: Status])
        -> (nominatedNodeName: String?, status: Status) {
        (nil, Status(.unschedulable))
    }

    public func postFilter(_ context: PostFilterContext) -> PostFilterResult {
        let (nominated, status) = postFilter(state: context.state, pod: context.pod,
                                             nodeStatuses: context.nodeStatuses)
        return PostFilterResult(nominatedNodeName: nominated, status: status)
    }
}

/// What a PostFilter plugin works with.
public struct PostFilterContext: Sendable {
    public var state: CycleState
    public var pod: JSONValue
    /// Every node's Filter rejection, by node name.
    public var nodeStatuses: [String: Status]
    public var snapshot: Snapshot
    /// The profile, so preemption can re-run its filters on a node with victims removed.
    public var framework: Framework

    public init(state: CycleState, pod: JSONValue, nodeStatuses: [String: Status],
                snapshot: Snapshot, framework: Framework) {
        self.state = state
        self.pod = pod
        self.nodeStatuses = nodeStatuses
        self.snapshot = snapshot
        self.framework = framework
    }
}

/// A PostFilter outcome: on success, the node the pod is nominated to and the pods to evict
/// (highest priority first) so it fits there.
public struct PostFilterResult: Sendable, Hashable {
    public var nominatedNodeName: String?
    public var victims: [JSONValue]
    public var status: Status

    public init(nominatedNodeName: String? = nil, victims: [JSONValue] = [], status: Status) {
        self.nominatedNodeName = nominatedNodeName
        self.victims = victims
        self.status = status
    }
}

public protocol PreScorePlugin: Plugin {
    /// Computes per-pod scoring state once; `.skip` removes this plugin's Score for the pod.
    func preScore(state: inout CycleState, pod: JSONValue, nodes: [NodeInfo]) -> Status
}

/// A node's score from one plugin.
public struct NodeScore: Sendable, Hashable {
    public var name: String
    public var score: Int64
    public init(name: String, score: Int64) {
        self.name = name
        self.score = score
    }
}

public protocol ScorePlugin: Plugin {
    func score(state: CycleState, pod: JSONValue, node: NodeInfo) -> Int64
    /// Brings raw scores into 0...``maxNodeScore``; the default leaves them as they are.
    func normalizeScores(state: CycleState, pod: JSONValue, scores: inout [NodeScore])
}

extension ScorePlugin {
    public func normalizeScores(state: CycleState, pod: JSONValue, scores: inout [NodeScore]) {}
}

public protocol ReservePlugin: Plugin {
    /// Claims per-node resources the plugin tracks before binding; `unreserve` undoes it when a
    /// later point fails.
    func reserve(state: inout CycleState, pod: JSONValue, nodeName: String) -> Status
    func unreserve(state: inout CycleState, pod: JSONValue, nodeName: String)
}

/// A plugin implements either form; the framework calls the one with the profile's waiting
/// pods, which by default calls the short one.
public protocol PermitPlugin: Plugin {
    /// `.success`, a rejection, or `.wait` with how long to wait at most.
    func permit(state: CycleState, pod: JSONValue, nodeName: String) -> (status: Status, timeout: Duration)
    /// The same, able to release pods already waiting (e.g. a gang's last member allowing the
    /// others with ``WaitingPod/allow(_:)``).
    func permit(state: CycleState, pod: JSONValue, nodeName: String, waitingPods: WaitingPods)
        -> (status: Status, timeout: Duration)
}

extension PermitPlugin {
    public func permit(state: CycleState, pod: JSONValue, nodeName: String) -> (status: Status, timeout: Duration) {
        (.success, .zero)
    }

    public func permit(state: CycleState, pod: JSONValue, nodeName: String, waitingPods: WaitingPods)
        -> (status: Status, timeout: Duration) {
        permit(state: state, pod: pod, nodeName: nodeName)
    }
}

public protocol PreBindPlugin: Plugin {
    func preBind(state: CycleState, pod: JSONValue, nodeName: String) async -> Status
}

public protocol BindPlugin: Plugin {
    /// `.skip` passes the binding to the next Bind plugin.
    func bind(state: CycleState, pod: JSONValue, nodeName: String) async -> Status
}

/// Upstream's `DefaultNormalizeScore`: scales scores so the highest becomes `maxPriority`,
/// optionally reversed (for plugins whose raw score counts something bad, like taints).
public func defaultNormalizeScore(_ maxPriority: Int64, reverse: Bool, scores: inout [NodeScore]) {
    let highest = scores.map(\.score).max() ?? 0
    if highest == 0 {
        if reverse {
            for i in scores.indices { scores[i].score = maxPriority }
        }
        return
    }
    for i in scores.indices {
        let scaled = maxPriority * scores[i].score / highest
        scores[i].score = reverse ? maxPriority - scaled : scaled
    }
}
