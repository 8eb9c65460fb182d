import KyvernAPI
import Logging
import KyvernClient

extension JobController {
    /// Adopts the orphan pods of the Job's namespace that its selector matches (upstream's
    /// `ClaimPods` in `getPodsForJob`), so a Job recreated after `kubectl delete job
    /// --cascade=orphan`, or one with `manualSelector`, takes over the pods it would have made
    /// instead of starting more. An unfinished Job adds its tracking finalizer in the same patch, as
    /// upstream does, so their outcome is counted. Returns how many pods it adopted.
    func adoptOrphans(of job: JSONValue) async throws -> Int {
        guard job.deletionTimestamp == nil,
              let selector = try? LabelSelector(labelSelector: job[path: ["spec", "selector"]]),
              !selector.isEmpty else { return 0 }
        let namespace = job.namespace ?? ""
        let orphans = await pods.list(index: .uncontrolledByNamespace, value: namespace).filter {
            ($0.namespace ?? "") == namespace && ControllerRef(of: $0) == nil && $0.deletionTimestamp == nil
                && selector.matches(labelsOf: $0)
        }
        if orphans.isEmpty { return 0 }
        // Adopt only for the Job as it is now, never for a deleted one's stale copy.
        if case .failure(let error) = await ObjectClaim.recheck(client: client, ownerResource: .jobs, owner: job) {
            throw error
        }
        let ref = ControllerRef(owner: job, apiVersion: Self.apiVersion, kind: Self.kind)
        let track = !JobCondition.isFinished(job)
        var adopted = 0
        for pod in orphans {
            var patch = ref.adoptionPatch(for: pod)
            if track && !JobPodFacts.hasTrackingFinalizer(pod) {
                patch[path: ["metadata", "finalizers"]] = .array((pod.finalizers + [JobPodFacts.trackingFinalizer]).map { .string($0) })
            }
            do {
                try await podControl.patchPod(namespace: namespace, name: pod.name ?? "", patch)
                adopted += 1
            } catch let error as APIError where error.code == 404 {
                continue
            }
        }
        return adopted
    }

    /// Lets go of the Job's pods whose labels no longer match its selector (upstream's `ClaimPods`
    /// releasing them): the owner reference goes, and with it the tracking finalizer, in one
    /// patch, so the released pod is neither counted nor kept from deletion. Returns the pods still
    /// owned.
    func releaseUnmatched(_ owned: [JSONValue], of job: JSONValue) async throws -> [JSONValue] {
        guard job.deletionTimestamp == nil,
              let selector = try? LabelSelector(labelSelector: job[path: ["spec", "selector"]]),
              !selector.isEmpty else { return owned }
        let ref = ControllerRef(owner: job, apiVersion: Self.apiVersion, kind: Self.kind)
        var kept: [JSONValue] = []
        for pod in owned {
            if selector.matches(labelsOf: pod) || pod.deletionTimestamp != nil {
                kept.append(pod)
                continue
            }
            var patch = ref.releasePatch(for: pod)
            if JobPodFacts.hasTrackingFinalizer(pod) {
                patch[path: ["metadata", "$deleteFromPrimitiveList/finalizers"]] = [.string(JobPodFacts.trackingFinalizer)]
            }
            do {
                try await podControl.patchPod(namespace: pod.namespace ?? "", name: pod.name ?? "", patch)
                logger.info("released a pod that no longer matches the Job's selector",
                            metadata: ["job": "\(ObjectKey(job))", "pod": "\(pod.name ?? "")"])
            } catch let error as APIError where error.code == 404 || error.code == 422 {
                continue
            }
        }
        return kept
    }
}
