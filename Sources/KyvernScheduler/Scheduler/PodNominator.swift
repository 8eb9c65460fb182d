import KyvernAPI
import Synchronization

/// Pods nominated to a node (by preemption, `status.nominatedNodeName`) but not bound yet, so
/// the room their victims free is held for them: upstream's PodNominator.
///
/// Fed by the scheduler when preemption nominates (before the status write lands) and by the
/// pod informer; a pod leaves when it is assigned, deleted, or its nomination is cleared.
/// A mutex, read once per cycle without an actor hop.
final class PodNominator: Sendable {
    private struct State {
        /// Node name → pod key → the pod.
        var entries: [String: [String: NodeInfo.PodEntry]] = [:]
        var nodeOfPod: [String: String] = [:]
        /// `entries` flattened for snapshots, rebuilt when a nomination changed.
        var byNode: [String: [NodeInfo.PodEntry]] = [:]
        var dirty = false
    }

    private let state = Mutex(State())

    /// The nominated pods of each node, for the next snapshot.
    var byNode: [String: [NodeInfo.PodEntry]] {
        state.withLock { state in
            if state.dirty {
                state.byNode = state.entries.mapValues { pods in pods.keys.sorted().compactMap { pods[$0] } }
                state.dirty = false
            }
            return state.byNode
        }
    }

    /// The node `key` is nominated to, if any.
    func node(ofPod key: String) -> String? {
        state.withLock { $0.nodeOfPod[key] }
    }

    /// Nominates `pod` to `nodeName` (replacing an earlier nomination).
    func add(_ pod: JSONValue, nodeName: String) {
        let entry = NodeInfo.PodEntry(pod: pod)
        state.withLock { state in
            Self.remove(entry.key, from: &state)
            state.entries[nodeName, default: [:]][entry.key] = entry
            state.nodeOfPod[entry.key] = nodeName
            state.dirty = true
        }
    }

    func remove(_ key: String) {
        state.withLock { state in Self.remove(key, from: &state) }
    }

    /// An unassigned pod changed: its `status.nominatedNodeName` nominates it; a nomination
    /// the pod no longer carries is dropped; a pod that never carried one keeps what the
    /// scheduler nominated in memory (its status write may not have landed yet), with the
    /// newer object.
    func update(old: JSONValue?, new: JSONValue) {
        let key = NodeInfo.key(of: new)
        let wanted = Self.nominatedNodeName(new)
        let had = old.flatMap(Self.nominatedNodeName)
        if let wanted {
            add(new, nodeName: wanted)
        } else if had != nil {
            remove(key)
        } else if let current = node(ofPod: key) {
            add(new, nodeName: current)
        }
    }

    static func nominatedNodeName(_ pod: JSONValue) -> String? {
        guard let name = pod[path: ["status", "nominatedNodeName"]]?.stringValue, !name.isEmpty else { return nil }
        return name
    }

    private static func remove(_ key: String, from state: inout State) {
        guard let node = state.nodeOfPod.removeValue(forKey: key) else { return }
        state.entries[node]?[key] = nil
        if state.entries[node]?.isEmpty == true { state.entries[node] = nil }
        state.dirty = true
    }
}
