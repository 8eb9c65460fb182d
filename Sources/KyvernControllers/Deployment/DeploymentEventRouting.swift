import KyvernAPI
import KyvernClient

/// Which Deployments an informer event concerns (upstream's `addReplicaSet`, `updateReplicaSet`,
/// `deleteReplicaSet`, `deletePod` handlers), as `namespace/name` keys. Pure, so it is testable
/// without informers.
enum DeploymentEventRouting {
    static func key(_ object: JSONValue) -> String {
        (object.namespace ?? "") + "/" + (object.name ?? "")
    }

    /// The Deployment named by `object`'s controller reference, if that reference is to a
    /// Deployment that still exists with the same uid.
    static func controllingDeployment(of object: JSONValue, in deployments: [JSONValue]) -> JSONValue? {
        guard let ref = ControllerRef(of: object), ref.kind == "Deployment" else { return nil }
        return deployments.first { $0.name == ref.name && $0.uid == ref.uid && $0.namespace == object.namespace }
    }

    /// Deployments whose (non-empty) selector matches the labels of the orphan `rs`.
    static func deploymentsSelecting(_ rs: JSONValue, in deployments: [JSONValue]) -> [JSONValue] {
        deployments.filter { d in
            guard d.namespace == rs.namespace, let json = d[path: ["spec", "selector"]],
                  let selector = try? LabelSelector(labelSelector: json), !selector.isEmpty else { return false }
            return selector.matches(labelsOf: rs)
        }
    }

    /// Keys to sync after a ReplicaSet event; `deployments` are those of the ReplicaSet's namespace.
    static func keys(forReplicaSet event: InformerEvent, deployments: [JSONValue]) -> [String] {
        switch event {
        case .added(let rs):
            if rs.deletionTimestamp != nil { return keys(forReplicaSet: .deleted(rs), deployments: deployments) }
            if ControllerRef(of: rs) != nil {
                return controllingDeployment(of: rs, in: deployments).map { [key($0)] } ?? []
            }
            return deploymentsSelecting(rs, in: deployments).map(key)
        case .updated(let old, let new):
            if old.resourceVersion == new.resourceVersion && old == new { return [] }
            var keys: [String] = []
            let oldRef = ControllerRef(of: old), newRef = ControllerRef(of: new)
            if oldRef != newRef, oldRef != nil, let d = controllingDeployment(of: old, in: deployments) {
                keys.append(key(d))
            }
            if newRef != nil {
                if let d = controllingDeployment(of: new, in: deployments) { keys.append(key(d)) }
                return keys
            }
            if old.labels != new.labels || oldRef != newRef {
                keys += deploymentsSelecting(new, in: deployments).map(key)
            }
            return keys
        case .deleted(let rs):
            return controllingDeployment(of: rs, in: deployments).map { [key($0)] } ?? []
        }
    }

    /// After a pod's deletion, the Recreate Deployment (through the pod's ReplicaSet) that may now
    /// start its new pods; rolling Deployments are driven by ReplicaSet status instead.
    static func keyForDeletedPod(_ pod: JSONValue, replicaSets: [JSONValue], deployments: [JSONValue]) -> String? {
        guard let ref = ControllerRef(of: pod), ref.kind == "ReplicaSet",
              let rs = replicaSets.first(where: { $0.name == ref.name && $0.uid == ref.uid }),
              let d = controllingDeployment(of: rs, in: deployments),
              d[path: ["spec", "strategy", "type"]]?.stringValue == "Recreate" else { return nil }
        return key(d)
    }
}
