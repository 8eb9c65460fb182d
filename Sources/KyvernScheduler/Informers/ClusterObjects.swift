import KyvernAPI
import KyvernClient
import Synchronization

/// The objects besides nodes and pods that plugins consult — namespace labels, Service and
/// controller selectors, PodDisruptionBudgets, claims, volumes and storage classes — kept from informer events as the
/// ``ClusterContext`` every snapshot carries.
///
/// A mutex rather than an actor: the scheduling loop reads it once per cycle without a hop,
/// and each event costs O(1) plus a copy of the one field it changes. Updates that leave the
/// fields read here alone (status writes to ReplicaSets, Services' endpoints) change nothing.
final class ClusterObjects: Sendable {
    private struct State {
        var context = ClusterContext()
        /// Service selectors by namespace, then name; flattened into `context` when read.
        var services: [String: [String: [String: String]]] = [:]
        var servicesDirty = false
        /// PDBs by "namespace/name"; listed into `context` when read.
        var budgets: [String: JSONValue] = [:]
        var budgetsDirty = false
    }

    private let state = Mutex(State())

    /// What the next snapshot carries.
    var context: ClusterContext {
        state.withLock { state in
            if state.servicesDirty {
                state.context.serviceSelectors = state.services.mapValues { byName in
                    byName.keys.sorted().compactMap { byName[$0] }
                }
                state.servicesDirty = false
            }
            if state.budgetsDirty {
                state.context.podDisruptionBudgets = state.budgets.keys.sorted().compactMap { state.budgets[$0] }
                state.budgetsDirty = false
            }
            return state.context
        }
    }

    // MARK: handlers

    func handleNamespace(_ event: InformerEvent) {
        guard let name = event.object.name else { return }
        let labels: [String: String]? = if case .deleted = event { nil } else { Self.labels(event.object) }
        state.withLock { state in
            if state.context.namespaceLabels[name] != labels { state.context.namespaceLabels[name] = labels }
        }
    }

    /// Services with a `spec.selector` (those without select no pods and are left out, as upstream).
    func handleService(_ event: InformerEvent) {
        let object = event.object
        guard let name = object.name else { return }
        let namespace = object.namespace ?? ""
        var selector: [String: String]?
        if case .deleted = event {
            selector = nil
        } else if let map = object[path: ["spec", "selector"]]?.objectValue {
            selector = map.compactMapValues(\.stringValue)
        }
        state.withLock { state in
            guard state.services[namespace]?[name] != selector else { return }
            state.services[namespace, default: [:]][name] = selector
            if state.services[namespace]?.isEmpty == true { state.services[namespace] = nil }
            state.servicesDirty = true
        }
    }

    /// A ReplicaSet, StatefulSet or ReplicationController (`kind`) and its selector.
    func handleController(kind: String, _ event: InformerEvent) {
        let object = event.object
        guard let name = object.name else { return }
        let key = ClusterContext.controllerKey(kind: kind, namespace: object.namespace ?? "", name: name)
        var selector: LabelSelector?
        if case .deleted = event {
            selector = nil
        } else if kind == "ReplicationController" {
            // A ReplicationController's selector is a plain label map.
            let map = object[path: ["spec", "selector"]]?.objectValue ?? [:]
            selector = LabelSelector(matchLabels: map.compactMapValues(\.stringValue))
        } else {
            selector = (try? LabelSelector(labelSelector: object[path: ["spec", "selector"]])) ?? .nothing
        }
        state.withLock { state in
            if state.context.controllerSelectors[key] != selector { state.context.controllerSelectors[key] = selector }
        }
    }

    func handleBudget(_ event: InformerEvent) {
        let object = event.object
        guard let name = object.name else { return }
        let key = (object.namespace ?? "") + "/" + name
        let budget: JSONValue? = if case .deleted = event { nil } else { object }
        state.withLock { state in
            state.budgets[key] = budget
            state.budgetsDirty = true
        }
    }

    /// A PersistentVolumeClaim, PersistentVolume or StorageClass, kept whole: VolumeBinding
    /// reads their specs, statuses and annotations.
    func handleStorage(_ kind: StorageKind, _ event: InformerEvent) {
        let object = event.object
        guard let name = object.name else { return }
        let value: JSONValue? = if case .deleted = event { nil } else { object }
        state.withLock { state in
            switch kind {
            case .claim:
                state.context.storage.claims[StorageObjects.claimKey(namespace: object.namespace ?? "", name: name)] = value
            case .volume:
                state.context.storage.volumes[name] = value
            case .storageClass:
                state.context.storage.classes[name] = value
            }
        }
    }

    enum StorageKind: Sendable {
        case claim, volume, storageClass
    }

    static func labels(_ object: JSONValue) -> [String: String] {
        (object[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }
}
