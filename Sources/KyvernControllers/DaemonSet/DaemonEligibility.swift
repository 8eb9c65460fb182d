import KyvernAPI

/// Whether a DaemonSet's pod belongs on a node (upstream's `NodeShouldRunDaemonPod`).
///
/// `shouldRun`: a new pod may be created there. `shouldContinueRunning`: an existing pod may stay —
/// a pod tolerating every NoExecute taint survives a NoSchedule taint added after it started.
struct DaemonEligibility: Sendable, Hashable {
    var shouldRun: Bool
    var shouldContinueRunning: Bool

    static func evaluate(node: JSONValue, ds: JSONValue) -> DaemonEligibility {
        let nodeName = node.name ?? ""
        let spec = DaemonPodSpec.withDefaultTolerations(ds[path: ["spec", "template", "spec"]])
        let wanted = spec["nodeName"]?.stringValue ?? ""
        if !wanted.isEmpty && wanted != nodeName { return .init(shouldRun: false, shouldContinueRunning: false) }
        guard NodeSelection.admits(podSpec: spec, node: node) else {
            return .init(shouldRun: false, shouldContinueRunning: false)
        }
        let taints = (node[path: ["spec", "taints"]]?.arrayValue ?? []).map(Taint.init(json:))
        let tolerations = (spec["tolerations"]?.arrayValue ?? []).map(Toleration.init(json:))
        let untolerated = taints.filter { !tolerations.tolerate($0) }
        if untolerated.contains(where: { $0.effect == "NoSchedule" || $0.effect == "NoExecute" }) {
            return .init(shouldRun: false, shouldContinueRunning: !untolerated.contains { $0.effect == "NoExecute" })
        }
        return .init(shouldRun: true, shouldContinueRunning: true)
    }
}
