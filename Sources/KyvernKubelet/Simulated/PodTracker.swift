import Foundation
import KyvernAPI

/// One write the agent owes the API for a pod on one of its nodes.
struct PodJob: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// Patch `status` to this running status.
        case markRunning(status: JSONValue)
        /// Patch `status` to this stopped status (when there were containers to stop), then delete
        /// with grace period 0.
        case terminate(status: JSONValue?)
    }

    var namespace: String
    var name: String
    var uid: String
    var kind: Kind

    /// Identifies the job for de-duplication: one of each kind per pod at a time.
    var key: String {
        switch kind {
        case .markRunning: "run/" + uid
        case .terminate: "stop/" + uid
        }
    }
}

/// The fleet's view of the pods bound to its nodes and the decisions it takes on each event; no I/O.
///
/// Events for pods on other nodes cost one dictionary lookup. Pod IPs are handed out per node and
/// taken back when the pod is gone; addresses pods already carry (from an earlier run) are kept.
struct PodTracker: Sendable {
    let config: SimulatedNodeConfig
    let indexByName: [String: Int]
    private(set) var ips = PodIPAllocator()
    /// Pods seen on our nodes, by uid.
    private(set) var known: Set<String> = []

    init(config: SimulatedNodeConfig, indexByName: [String: Int]) {
        self.config = config
        self.indexByName = indexByName
    }

    /// A pod was added or modified: the job it needs, if any.
    mutating func observe(_ pod: JSONValue, now: Date) -> PodJob? {
        guard let nodeName = pod[path: ["spec", "nodeName"]]?.stringValue, let node = indexByName[nodeName],
              let uid = pod[path: ["metadata", "uid"]]?.stringValue,
              let name = pod[path: ["metadata", "name"]]?.stringValue,
              let namespace = pod[path: ["metadata", "namespace"]]?.stringValue
        else { return nil }
        known.insert(uid)
        if let ip = pod[path: ["status", "podIP"]]?.stringValue, !ip.isEmpty {
            ips.reserve(pod: uid, node: node, ip: ip)
        }
        switch PodStatusBuilder.action(for: pod) {
        case .none:
            return nil
        case .markRunning:
            guard let podIP = ips.allocate(pod: uid, node: node) else { return nil }
            let status = PodStatusBuilder.running(pod: pod, hostIP: NodeAddressing.internalIP(node), podIP: podIP, now: now)
            return PodJob(namespace: namespace, name: name, uid: uid, kind: .markRunning(status: status))
        case .terminate:
            let running = (pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []).contains {
                $0[path: ["state", "running"]] != nil
            }
            let phase = pod[path: ["status", "phase"]]?.stringValue
            var stopped: JSONValue?  // nothing to report when no container ran
            if running && phase != "Succeeded" && phase != "Failed" {
                stopped = PodStatusBuilder.terminated(pod: pod, now: now)
            }
            return PodJob(namespace: namespace, name: name, uid: uid, kind: .terminate(status: stopped))
        }
    }

    /// A pod was deleted: its address is free again.
    mutating func forget(_ pod: JSONValue) {
        guard let uid = pod[path: ["metadata", "uid"]]?.stringValue, known.remove(uid) != nil else { return }
        ips.release(pod: uid)
    }

    /// After a fresh list: the jobs for every listed pod, and pods missing from the list forgotten.
    mutating func resync(_ pods: [JSONValue], now: Date) -> [PodJob] {
        let listed = Set(pods.compactMap { $0[path: ["metadata", "uid"]]?.stringValue })
        for uid in known.subtracting(listed) {
            known.remove(uid)
            ips.release(pod: uid)
        }
        return pods.compactMap { observe($0, now: now) }
    }
}
