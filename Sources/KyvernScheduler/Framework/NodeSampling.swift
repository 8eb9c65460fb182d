import Synchronization

/// How many feasible nodes a cycle looks for before it stops filtering (upstream's
/// `numFeasibleNodesToFind`), and where the next cycle starts, so large clusters are not
/// filtered and scored in full for every pod while every node still gets its turn.
public enum NodeSampling {
    /// Below this many nodes every node is filtered.
    public static let minFeasibleNodesToFind = 100
    /// The adaptive percentage never drops below this.
    public static let minFeasibleNodesPercentageToFind = 5

    /// `percentage` nil or 0 means adaptive: 50 % minus one point per 125 nodes, at least 5 %;
    /// the result is at least 100 nodes (or all of them when fewer); 100 means all.
    public static func numFeasibleNodesToFind(percentage: Int?, numAllNodes: Int) -> Int {
        if numAllNodes < minFeasibleNodesToFind { return numAllNodes }
        var percent = percentage ?? 0
        if percent <= 0 {
            percent = max(50 - numAllNodes / 125, minFeasibleNodesPercentageToFind)
        }
        let count = numAllNodes * percent / 100
        return min(max(count, minFeasibleNodesToFind), numAllNodes)
    }
}

/// The rotating start index shared by the cycles of one profile.
final class NodeRotation: Sendable {
    private let next = Mutex(0)

    func start(count: Int) -> Int {
        next.withLock { count == 0 ? 0 : $0 % count }
    }

    func advance(by processed: Int, count: Int) {
        guard count > 0 else { return }
        next.withLock { $0 = ($0 + processed) % count }
    }
}
