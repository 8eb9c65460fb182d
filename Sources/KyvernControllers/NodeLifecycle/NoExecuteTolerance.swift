import Foundation
import KyvernAPI

/// How long a pod may stay on a node with NoExecute taints (upstream's taint manager rules): not
/// at all when some taint has no matching toleration; otherwise the smallest `tolerationSeconds`
/// among the matching tolerations (zero or less: not at all); forever when none sets it.
enum NoExecuteTolerance: Equatable, Sendable {
    case none
    case seconds(Int64)
    case forever

    static func of(pod: JSONValue, taints: [JSONValue]) -> NoExecuteTolerance {
        let tolerations = pod[path: ["spec", "tolerations"]]?.arrayValue ?? []
        var matching: [JSONValue] = []
        for taint in taints {
            let found = tolerations.filter { Toleration(json: $0).tolerates(Taint(json: taint)) }
            if found.isEmpty { return .none }
            matching += found
        }
        var least: Int64?
        for toleration in matching {
            guard let seconds = toleration["tolerationSeconds"]?.intValue else { continue }
            if seconds <= 0 { return .none }
            least = min(least ?? seconds, seconds)
        }
        return least.map(NoExecuteTolerance.seconds) ?? .forever
    }

    /// The node's NoExecute taints.
    static func noExecuteTaints(of node: JSONValue) -> [JSONValue] {
        NodeTaints.taints(of: node).filter { $0["effect"]?.stringValue == "NoExecute" }
    }

    /// When the pod is due for eviction: the tolerated time counted from when the newest taint
    /// was added (so a restart of the controller does not restart the count); nil for never.
    func deadline(taints: [JSONValue], now: Date) -> Date? {
        switch self {
        case .none: return now
        case .forever: return nil
        case .seconds(let seconds):
            let added = taints.compactMap { $0["timeAdded"]?.stringValue.flatMap(Timestamp.parse) }.max() ?? now
            return added.addingTimeInterval(TimeInterval(seconds))
        }
    }
}
