import KyvernAPI
import KyvernClient

/// Turns pod and ReplicaSet events into ReplicaSet keys, and reports observed creations and
/// deletions to the expectations (upstream's `addPod`/`updatePod`/`deletePod`, `addRS`/…).
///
/// Handlers only enqueue; all decisions happen in the sync (principle 3).
struct ReplicaSetEventHandlers: Sendable {
    let replicaSets: any ObjectCache
    let expectations: ControllerExpectations
    let queue: ControllerQueue

    func replicaSetEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let rs):
            await queue.add(ObjectKey(rs))
        case .updated(let old, let new):
            if old.uid != new.uid { await expectations.delete(ObjectKey(old).description) }
            await queue.add(ObjectKey(new))
        case .deleted(let rs):
            await expectations.delete(ObjectKey(rs).description)
            await queue.add(ObjectKey(rs))
        }
    }

    func podEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let pod):
            await podAdded(pod)
        case .updated(let old, let new):
            await podUpdated(old: old, new: new)
        case .deleted(let pod):
            await podDeleted(pod)
        }
    }

    private func podAdded(_ pod: JSONValue) async {
        if pod.deletionTimestamp != nil {
            // Seen for the first time already terminating (e.g. after a restart): a deletion.
            await podDeleted(pod)
            return
        }
        if let ref = ControllerRef(of: pod) {
            guard let rs = await resolve(ref, namespace: pod.namespace) else { return }
            let key = ObjectKey(rs)
            await expectations.creationObserved(key.description)
            await queue.add(key)
            return
        }
        // An orphan: every ReplicaSet that could adopt it should look.
        for rs in await matchingReplicaSets(pod) { await queue.add(ObjectKey(rs)) }
    }

    private func podUpdated(old: JSONValue, new: JSONValue) async {
        if old.resourceVersion == new.resourceVersion { return }
        let labelsChanged = old.labels != new.labels
        if new.deletionTimestamp != nil {
            // Replace a terminating pod now rather than when it is finally removed.
            await podDeleted(new)
            if labelsChanged { await podDeleted(old) }
            return
        }
        let newRef = ControllerRef(of: new)
        let oldRef = ControllerRef(of: old)
        let refChanged = newRef != oldRef
        if refChanged, let oldRef, let rs = await resolve(oldRef, namespace: old.namespace) {
            await queue.add(ObjectKey(rs))
        }
        if let newRef {
            guard let rs = await resolve(newRef, namespace: new.namespace) else { return }
            await queue.add(ObjectKey(rs))
            let minReadySeconds = rs[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
            if !PodState.isReady(old) && PodState.isReady(new) && minReadySeconds > 0 {
                // Becoming available is a matter of time; sync again once it may have happened.
                await queue.addAfter(ObjectKey(rs), delay: .seconds(minReadySeconds + 1))
            }
            return
        }
        if labelsChanged || refChanged {
            for rs in await matchingReplicaSets(new) { await queue.add(ObjectKey(rs)) }
        }
    }

    private func podDeleted(_ pod: JSONValue) async {
        guard let ref = ControllerRef(of: pod), let rs = await resolve(ref, namespace: pod.namespace) else { return }
        let key = ObjectKey(rs)
        await expectations.deletionObserved(key.description, podKey: PodState.key(pod))
        await queue.add(key)
    }

    /// The cached ReplicaSet a controller reference points to, if it is still that one.
    private func resolve(_ ref: ControllerRef, namespace: String?) async -> JSONValue? {
        guard ref.kind == ReplicaSetController.kind,
              let rs = await replicaSets.get(namespace: namespace, name: ref.name), rs.uid == ref.uid else { return nil }
        return rs
    }

    /// ReplicaSets of the pod's namespace whose non-empty selector matches its labels.
    private func matchingReplicaSets(_ pod: JSONValue) async -> [JSONValue] {
        await replicaSets.list(namespace: pod.namespace).filter { rs in
            guard let selector = try? LabelSelector(labelSelector: rs[path: ["spec", "selector"]]),
                  !selector.isEmpty else { return false }
            return selector.matches(labelsOf: pod)
        }
    }
}
