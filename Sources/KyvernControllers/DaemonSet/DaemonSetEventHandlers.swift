import KyvernAPI
import KyvernClient

/// Turns DaemonSet, pod, node and ControllerRevision events into DaemonSet keys, and reports observed
/// pod creations and deletions to the expectations. Handlers only enqueue; syncs decide.
struct DaemonSetEventHandlers: Sendable {
    let daemonSets: any ObjectCache
    let expectations: ControllerExpectations
    let queue: ControllerQueue

    func daemonSetEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let ds):
            await queue.add(ObjectKey(ds))
        case .updated(let old, let new):
            if old.uid != new.uid { await expectations.delete(ObjectKey(old).description) }
            await queue.add(ObjectKey(new))
        case .deleted(let ds):
            await expectations.delete(ObjectKey(ds).description)
        }
    }

    func podEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let pod):
            if pod.deletionTimestamp != nil {
                await podDeleted(pod)
            } else if let ds = await owner(of: pod) {
                await expectations.creationObserved(ObjectKey(ds).description)
                await queue.add(ObjectKey(ds))
            } else {
                for ds in await matching(pod) { await queue.add(ObjectKey(ds)) }
            }
        case .updated(let old, let new):
            if old.resourceVersion == new.resourceVersion { return }
            if new.deletionTimestamp != nil {
                await podDeleted(new)
                return
            }
            if ControllerRef(of: old) != ControllerRef(of: new), let ds = await owner(of: old) { await queue.add(ObjectKey(ds)) }
            if let ds = await owner(of: new) {
                await queue.add(ObjectKey(ds))
                let minReadySeconds = ds[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
                if minReadySeconds > 0 && !PodState.isReady(old) && PodState.isReady(new) {
                    await queue.addAfter(ObjectKey(ds), delay: .seconds(minReadySeconds + 1))
                }
            } else if old.labels != new.labels || ControllerRef(of: old) != nil {
                for ds in await matching(new) { await queue.add(ObjectKey(ds)) }
            }
        case .deleted(let pod):
            await podDeleted(pod)
        }
    }

    /// A node appearing, going or changing what eligibility reads (labels, taints) concerns every DaemonSet.
    func nodeEvent(_ event: InformerEvent) async {
        if case .updated(let old, let new) = event {
            guard old.labels != new.labels || old[path: ["spec", "taints"]] != new[path: ["spec", "taints"]]
                    || old[path: ["spec", "unschedulable"]] != new[path: ["spec", "unschedulable"]] else { return }
        }
        for ds in await daemonSets.list(namespace: nil) { await queue.add(ObjectKey(ds)) }
    }

    /// Revisions are the controller's own writes; one changed by someone else (a deletion) resyncs its owner.
    func revisionEvent(_ event: InformerEvent) async {
        let revision: JSONValue
        switch event {
        case .added(let r), .deleted(let r): revision = r
        case .updated(_, let r): revision = r
        }
        if let ds = await owner(of: revision) { await queue.add(ObjectKey(ds)) }
    }

    private func podDeleted(_ pod: JSONValue) async {
        guard let ds = await owner(of: pod) else { return }
        let key = ObjectKey(ds)
        await expectations.deletionObserved(key.description, podKey: PodState.key(pod))
        await queue.add(key)
    }

    private func owner(of object: JSONValue) async -> JSONValue? {
        guard let ref = ControllerRef(of: object), ref.kind == DaemonSetController.kind,
              let ds = await daemonSets.get(namespace: object.namespace, name: ref.name), ds.uid == ref.uid else { return nil }
        return ds
    }

    private func matching(_ pod: JSONValue) async -> [JSONValue] {
        await daemonSets.list(namespace: pod.namespace).filter { ds in
            guard let selector = try? LabelSelector(labelSelector: ds[path: ["spec", "selector"]]), !selector.isEmpty else { return false }
            return selector.matches(labelsOf: pod)
        }
    }
}
