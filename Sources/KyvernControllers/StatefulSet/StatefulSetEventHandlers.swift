import KyvernAPI
import KyvernClient

/// Turns StatefulSet, pod and ControllerRevision events into StatefulSet keys and reports observed
/// pod creations and deletions to the expectations.
struct StatefulSetEventHandlers: Sendable {
    let sets: any ObjectCache
    let expectations: ControllerExpectations
    let queue: ControllerQueue

    func setEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let set):
            await queue.add(ObjectKey(set))
        case .updated(let old, let new):
            if old.uid != new.uid { await expectations.delete(ObjectKey(old).description) }
            await queue.add(ObjectKey(new))
        case .deleted(let set):
            await expectations.delete(ObjectKey(set).description)
        }
    }

    func podEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let pod):
            if pod.deletionTimestamp != nil {
                await podDeleted(pod)
            } else if let set = await owner(of: pod) {
                await expectations.creationObserved(ObjectKey(set).description)
                await queue.add(ObjectKey(set))
            } else {
                for set in await matching(pod) { await queue.add(ObjectKey(set)) }
            }
        case .updated(let old, let new):
            if old.resourceVersion == new.resourceVersion { return }
            if new.deletionTimestamp != nil && old.deletionTimestamp == nil { await podDeleted(new) }
            if ControllerRef(of: old) != ControllerRef(of: new), let set = await owner(of: old) { await queue.add(ObjectKey(set)) }
            if let set = await owner(of: new) {
                await queue.add(ObjectKey(set))
                let minReadySeconds = set[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
                if minReadySeconds > 0 && !PodState.isReady(old) && PodState.isReady(new) {
                    await queue.addAfter(ObjectKey(set), delay: .seconds(minReadySeconds + 1))
                }
            } else if old.labels != new.labels || ControllerRef(of: old) != nil {
                for set in await matching(new) { await queue.add(ObjectKey(set)) }
            }
        case .deleted(let pod):
            await podDeleted(pod)
        }
    }

    /// A revision or claim changed by someone else resyncs its owner.
    func ownedEvent(_ event: InformerEvent) async {
        let object: JSONValue
        switch event {
        case .added(let o), .deleted(let o): object = o
        case .updated(_, let o): object = o
        }
        if let set = await owner(of: object) { await queue.add(ObjectKey(set)) }
    }

    private func podDeleted(_ pod: JSONValue) async {
        guard let set = await owner(of: pod) else { return }
        await expectations.deletionObserved(ObjectKey(set).description, podKey: PodState.key(pod))
        await queue.add(ObjectKey(set))
    }

    private func owner(of object: JSONValue) async -> JSONValue? {
        guard let ref = ControllerRef(of: object), ref.kind == StatefulSetController.kind,
              let set = await sets.get(namespace: object.namespace, name: ref.name), set.uid == ref.uid else { return nil }
        return set
    }

    private func matching(_ pod: JSONValue) async -> [JSONValue] {
        await sets.list(namespace: pod.namespace).filter { set in
            guard StatefulPodIdentity.isMember(pod, of: set),
                  let selector = try? LabelSelector(labelSelector: set[path: ["spec", "selector"]]), !selector.isEmpty else { return false }
            return selector.matches(labelsOf: pod)
        }
    }
}
