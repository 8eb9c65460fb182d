public import KyvernAPI

/// A change in the cluster that might let an unschedulable pod fit, as upstream's `ClusterEvent`.
public enum ClusterEvent: Sendable, Hashable {
    case nodeAdded
    case nodeDeleted
    case nodeAllocatableChanged
    case nodeLabelsChanged
    case nodeTaintsChanged
    /// `spec.unschedulable` flipped.
    case nodeSchedulableChanged
    case assignedPodAdded
    case assignedPodUpdated
    case assignedPodDeleted
    case claimAdded
    case claimUpdated
    case volumeAdded
    case volumeUpdated
    case storageClassAdded
    case storageClassUpdated

    /// What changed between two versions of a node; empty when nothing a plugin filters on did
    /// (status heartbeats, conditions, annotations).
    public static func nodeUpdate(old: JSONValue, new: JSONValue) -> [ClusterEvent] {
        var events: [ClusterEvent] = []
        if old[path: ["status", "allocatable"]] != new[path: ["status", "allocatable"]] {
            events.append(.nodeAllocatableChanged)
        }
        if old[path: ["metadata", "labels"]] != new[path: ["metadata", "labels"]] {
            events.append(.nodeLabelsChanged)
        }
        if old[path: ["spec", "taints"]] != new[path: ["spec", "taints"]] {
            events.append(.nodeTaintsChanged)
        }
        if (old[path: ["spec", "unschedulable"]]?.boolValue ?? false)
            != (new[path: ["spec", "unschedulable"]]?.boolValue ?? false) {
            events.append(.nodeSchedulableChanged)
        }
        return events
    }
}

/// Which cluster events could make a pod rejected by a given plugin schedulable — upstream's
/// `EventsToRegister` per plugin. A pod rejected only by NodeResourcesFit does not move when a
/// node's labels change, which keeps a large backlog from churning on every node update.
public enum EventInterest {
    public static let table: [String: Set<ClusterEvent>] = [
        "NodeResourcesFit": [.nodeAdded, .nodeAllocatableChanged, .assignedPodDeleted, .assignedPodUpdated],
        "NodeName": [.nodeAdded],
        "NodeUnschedulable": [.nodeAdded, .nodeSchedulableChanged, .nodeTaintsChanged],
        "NodeAffinity": [.nodeAdded, .nodeLabelsChanged],
        "TaintToleration": [.nodeAdded, .nodeTaintsChanged],
        "NodePorts": [.nodeAdded, .assignedPodDeleted, .assignedPodUpdated],
        "InterPodAffinity": [.nodeAdded, .nodeLabelsChanged,
                             .assignedPodAdded, .assignedPodUpdated, .assignedPodDeleted],
        "PodTopologySpread": [.nodeAdded, .nodeDeleted, .nodeLabelsChanged, .nodeTaintsChanged,
                              .assignedPodAdded, .assignedPodUpdated, .assignedPodDeleted],
        "ImageLocality": [],
        "VolumeBinding": [.nodeAdded, .nodeLabelsChanged, .nodeTaintsChanged, .claimAdded, .claimUpdated,
                          .volumeAdded, .volumeUpdated, .storageClassAdded, .storageClassUpdated],
    ]

    /// True when `event` may help a pod rejected by `plugins`. A pod with no recorded plugin (no
    /// nodes at all, an internal error) and plugins without a registration move on any event,
    /// as upstream treats them.
    public static func mayHelp(_ event: ClusterEvent, rejectedBy plugins: Set<String>) -> Bool {
        if plugins.isEmpty { return true }
        return plugins.contains { plugin in table[plugin].map { $0.contains(event) } ?? true }
    }
}
