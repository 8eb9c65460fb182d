import KyvernAPI
import KyvernClient

/// Informer events into the queue (pods waiting for one of our profiles) and the cache (pods
/// on nodes, and the nodes), plus the cluster events that may unpark unschedulable pods.
extension Scheduler {
    func handleNode(_ event: InformerEvent) async {
        switch event {
        case .added(let node):
            await cache.addNode(node)
            await queue.clusterChanged([.nodeAdded])
        case .updated(let old, let new):
            await cache.updateNode(old: old, new: new)
            await queue.clusterChanged(ClusterEvent.nodeUpdate(old: old, new: new))
        case .deleted(let node):
            await cache.removeNode(node)
            await queue.clusterChanged([.nodeDeleted])
        }
    }

    func handlePod(_ event: InformerEvent) async {
        switch event {
        case .added(let pod):
            if Self.isAssigned(pod) {
                guard !Self.isTerminal(pod) else { return }
                await cache.addPod(pod)
                await queue.clusterChanged([.assignedPodAdded])
            } else if isResponsible(for: pod) {
                nominator.update(old: nil, new: pod)
                await queue.add(pod)
            }
        case .updated(let old, let new):
            if Self.isAssigned(new) {
                if !Self.isAssigned(old) {
                    await queue.delete(old)
                    nominator.remove(NodeInfo.key(of: new))
                }
                if Self.isTerminal(new) {
                    // A finished pod no longer holds its node's resources.
                    await cache.removePod(new)
                    await queue.clusterChanged([.assignedPodDeleted])
                } else if !Self.isAssigned(old) {
                    await cache.addPod(new)
                    await queue.clusterChanged([.assignedPodAdded])
                } else {
                    await cache.updatePod(old: old, new: new)
                    if PodUpdate.isUserUpdate(old: old, new: new) { await queue.clusterChanged([.assignedPodUpdated]) }
                }
            } else if isResponsible(for: new) {
                nominator.update(old: old, new: new)
                await queue.update(old: old, new: new)
            } else {
                nominator.remove(NodeInfo.key(of: new))
                await queue.delete(new)
            }
        case .deleted(let pod):
            await queue.delete(pod)
            nominator.remove(NodeInfo.key(of: pod))
            // A pod waiting at Permit stops waiting (upstream rejects it as "removed").
            if let uid = pod[path: ["metadata", "uid"]]?.stringValue {
                profiles[Self.schedulerName(of: pod)]?.waitingPods.reject(uid: uid, message: "removed")
            }
            // Also drops a pod assumed but deleted before its binding showed up.
            await cache.removePod(pod)
            if Self.isAssigned(pod) { await queue.clusterChanged([.assignedPodDeleted]) }
        }
    }

    /// Keeps a claim, volume or class for VolumeBinding; additions and updates may let a pod
    /// waiting on volumes fit (a claim got bound, a volume appeared), as upstream registers them.
    func handleStorage(_ kind: ClusterObjects.StorageKind, _ event: InformerEvent) async {
        clusterObjects.handleStorage(kind, event)
        if kind != .storageClass { storageUpdates?.record(event, claim: kind == .claim) }
        let added: Bool
        switch event {
        case .added: added = true
        case .updated: added = false
        case .deleted: return
        }
        let clusterEvent: ClusterEvent = switch kind {
        case .claim: added ? .claimAdded : .claimUpdated
        case .volume: added ? .volumeAdded : .volumeUpdated
        case .storageClass: added ? .storageClassAdded : .storageClassUpdated
        }
        await queue.clusterChanged([clusterEvent])
    }

    static func isAssigned(_ pod: JSONValue) -> Bool {
        !(pod[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty
    }

    static func isTerminal(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// Unassigned, not being deleted, and asking for one of our profiles.
    func isResponsible(for pod: JSONValue) -> Bool {
        pod[path: ["metadata", "deletionTimestamp"]] == nil
            && profiles[Self.schedulerName(of: pod)] != nil
    }

    static func schedulerName(of pod: JSONValue) -> String {
        pod[path: ["spec", "schedulerName"]]?.stringValue ?? "default-scheduler"
    }
}
