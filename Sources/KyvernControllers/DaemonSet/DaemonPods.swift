import Foundation
import KyvernAPI

/// A DaemonSet's pods grouped by the node each is for, and the facts its sync reads about them.
struct DaemonPods: Sendable {
    /// Pods by target node, oldest first (scheduled before unscheduled, then by creation, then name).
    var byNode: [String: [JSONValue]]

    /// Groups `pods` (the DaemonSet's claimed pods); pods finished and being deleted are left out,
    /// as are pods with no target node.
    init(_ pods: [JSONValue]) {
        var byNode: [String: [JSONValue]] = [:]
        for pod in pods {
            let phase = PodState.phase(pod)
            if (phase == "Succeeded" || phase == "Failed") && pod.deletionTimestamp != nil { continue }
            guard let node = DaemonPodSpec.targetNode(of: pod) else { continue }
            byNode[node, default: []].append(pod)
        }
        self.byNode = byNode.mapValues { $0.sorted(by: Self.olderFirst) }
    }

    /// Upstream's `podByCreationTimestampAndPhase`.
    static func olderFirst(_ a: JSONValue, _ b: JSONValue) -> Bool {
        let aBound = !PodState.nodeName(a).isEmpty, bBound = !PodState.nodeName(b).isEmpty
        if aBound != bBound { return aBound }
        let aTime = a.creationTimestamp ?? "", bTime = b.creationTimestamp ?? ""
        if aTime == bTime { return (a.name ?? "") < (b.name ?? "") }
        return aTime < bTime
    }

    static func hash(of pod: JSONValue) -> String? { pod.labels[ControllerHistory.hashLabel] }

    /// The one current and one old pod of a node, skipping pods being deleted; nil when there are
    /// two of either kind (the manage step must first remove the extra one). Upstream's `findUpdatedPodsOnNode`.
    static func updatedAndOld(_ pods: [JSONValue], hash: String) -> (new: JSONValue?, old: JSONValue?)? {
        var new: JSONValue?, old: JSONValue?
        for pod in pods where pod.deletionTimestamp == nil {
            if Self.hash(of: pod) == hash {
                if new != nil { return nil }
                new = pod
            } else {
                if old != nil { return nil }
                old = pod
            }
        }
        return (new, old)
    }
}
