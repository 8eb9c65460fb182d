import KyvernAPI
import KyvernClient

/// Turns Job and pod events into Job keys and reports observed creations and deletions to the
/// expectations; all decisions happen in the sync.
struct JobEventHandlers: Sendable {
    let jobs: any ObjectCache
    let expectations: ControllerExpectations
    let queue: ControllerQueue

    func jobEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let job):
            await queue.add(ObjectKey(job))
        case .updated(let old, let new):
            if old.uid != new.uid { await expectations.delete(ObjectKey(old).description) }
            await queue.add(ObjectKey(new))
        case .deleted(let job):
            await expectations.delete(ObjectKey(job).description)
            await queue.add(ObjectKey(job))
        }
    }

    func podEvent(_ event: InformerEvent) async {
        switch event {
        case .added(let pod):
            guard let key = jobKey(of: pod) else {
                // An orphan: every Job that could adopt it should look.
                for job in await matchingJobs(pod) { await queue.add(ObjectKey(job)) }
                return
            }
            if pod.deletionTimestamp != nil {
                await expectations.deletionObserved(key.description, podKey: PodState.key(pod))
            } else if await owningJobExists(pod) {
                await expectations.creationObserved(key.description)
            }
            await queue.add(key)
        case .updated(let old, let new):
            if old.resourceVersion == new.resourceVersion { return }
            guard let key = jobKey(of: new) ?? jobKey(of: old) else {
                if old.labels != new.labels {
                    for job in await matchingJobs(new) { await queue.add(ObjectKey(job)) }
                }
                return
            }
            if new.deletionTimestamp != nil && old.deletionTimestamp == nil {
                await expectations.deletionObserved(key.description, podKey: PodState.key(new))
            }
            await queue.add(key)
        case .deleted(let pod):
            guard let key = jobKey(of: pod) else { return }
            await expectations.deletionObserved(key.description, podKey: PodState.key(pod))
            await queue.add(key)
        }
    }

    /// The key of the Job controlling `pod`, also when that Job is gone (its pods must then be
    /// released from the tracking finalizer).
    private func jobKey(of pod: JSONValue) -> ObjectKey? {
        guard let ref = ControllerRef(of: pod), ref.kind == JobController.kind,
              ref.apiVersion.hasPrefix("batch/") else { return nil }
        return ObjectKey(namespace: pod.namespace, name: ref.name)
    }

    /// Jobs of the pod's namespace whose non-empty selector matches the orphan `pod`.
    private func matchingJobs(_ pod: JSONValue) async -> [JSONValue] {
        guard ControllerRef(of: pod) == nil, pod.deletionTimestamp == nil else { return [] }
        return await jobs.list(namespace: pod.namespace).filter { job in
            guard let selector = try? LabelSelector(labelSelector: job[path: ["spec", "selector"]]),
                  !selector.isEmpty else { return false }
            return selector.matches(labelsOf: pod)
        }
    }

    private func owningJobExists(_ pod: JSONValue) async -> Bool {
        guard let ref = ControllerRef(of: pod) else { return false }
        return await jobs.get(namespace: pod.namespace, name: ref.name)?.uid == ref.uid
    }
}
