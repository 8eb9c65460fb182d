public import KyvernAPI

/// Why a pod fits on no node, worded as upstream's `FitError` so `kubectl describe` and the
/// `PodScheduled` condition read the same as with kube-scheduler.
public struct FitError: Error, Sendable, Hashable {
    public var numAllNodes: Int
    /// The rejection status of each node, by node name.
    public var nodeStatuses: [String: Status]
    /// Set when a PreFilter rejected the pod outright; then per-node reasons are not repeated.
    public var preFilterMessage: String = ""
    public var postFilterMessage: String = ""
    /// Set when a PostFilter (preemption) found a node where the pod fits once `victims` are
    /// evicted: the caller sets `status.nominatedNodeName` and deletes the victims.
    public var nominatedNodeName: String? = nil
    public var victims: [JSONValue] = []

    /// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node
    /// affinity/selector." — each reason counted over nodes, the "count reason" strings sorted
    /// as plain strings (so "10 x" sorts before "2 y", as upstream).
    ///
    /// With no nodes at all upstream reports its `ErrNoNodesAvailable` instead.
    public var message: String {
        if numAllNodes == 0 { return "no nodes available to schedule pods" }
        var text = "0/\(numAllNodes) nodes are available:"
        if !preFilterMessage.isEmpty {
            text += " \(preFilterMessage)."
        } else {
            var counts: [String: Int] = [:]
            for status in nodeStatuses.values {
                for reason in status.reasons { counts[reason, default: 0] += 1 }
            }
            let histogram = counts.map { "\($0.value) \($0.key)" }.sorted()
            if !histogram.isEmpty { text += " \(histogram.joined(separator: ", "))." }
        }
        // Upstream appends " <message>." whatever the message ends with, so preemption's own
        // FitError message shows two dots ("... for incoming pod..").
        if !postFilterMessage.isEmpty {
            text += " " + postFilterMessage + "."
        }
        return text
    }
}
