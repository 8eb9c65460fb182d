import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// Runs a Job's pods to completion (upstream's Job controller).
///
/// A sync counts the pods that finished (through `status.uncountedTerminatedPods` and the
/// tracking finalizer, ``JobTracking``), decides whether the Job succeeded or failed
/// (completions, backoff limits, pod failure policy, active deadline, failed indexes), and
/// otherwise creates or deletes pods to keep `parallelism` running, honouring `suspend` and the
/// failure backoff. The terminal condition waits until no pod is left running.
struct JobController: Reconciler {
    static let name = "job"
    static let component = "job-controller"
    static let kind = "Job"
    static let apiVersion = "batch/v1"
    static let burstPods = 500
    static let podIndexes: [CacheIndex] = [.ownerUID, .uncontrolledByNamespace]

    let client: any KubernetesClient
    let jobs: any ObjectCache
    let pods: any ObjectCache
    let expectations: ControllerExpectations
    let released: ReleasedFinalizers
    let podControl: PodControl
    let queue: ControllerQueue?
    let logger: Logger
    var now: @Sendable () -> Date

    init(client: any KubernetesClient, jobs: any ObjectCache, pods: any ObjectCache,
         expectations: ControllerExpectations = ControllerExpectations(),
         released: ReleasedFinalizers = ReleasedFinalizers(), queue: ControllerQueue?, logger: Logger,
         now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.jobs = jobs
        self.pods = pods
        self.expectations = expectations
        self.released = released
        self.queue = queue
        self.logger = logger
        self.now = now
        self.podControl = PodControl(client: client, recorder: EventRecorder(
            client: client, component: Self.component, logger: logger))
    }

    var recorder: EventRecorder { podControl.recorder }

    func reconcile(_ key: ObjectKey) async throws {
        let jobKey = key.description
        guard let job = await jobs.get(namespace: key.namespace, name: key.name) else {
            await expectations.delete(jobKey)
            try await releaseOrphans(namespace: key.namespace, jobName: key.name)
            return
        }
        if try await adoptOrphans(of: job) > 0 {
            // The adoption patches bring the Job back with those pods counted as its own.
            await queue?.add(key)
            return
        }
        let owned = try await releaseUnmatched(await ownedPods(of: job), of: job)
        await released.prune(job: jobKey, stillShown: Set(owned.filter(JobPodFacts.hasTrackingFinalizer).compactMap(\.uid)))
        let releasedUIDs = await released.uids(for: jobKey)
        if JobCondition.isFinished(job) || job.deletionTimestamp != nil {
            // Nothing more to count: let every pod go.
            try await removeFinalizers(owned.filter { JobPodFacts.hasTrackingFinalizer($0) && !releasedUIDs.contains($0.uid ?? "") },
                                       jobKey: jobKey)
            return
        }
        let spec = JobSpec(job)
        let time = now()
        var tracking = JobTracking(job: job, spec: spec, pods: owned, released: releasedUIDs)

        // 1. Record finished pods by uid before touching their finalizers.
        var current = job
        if tracking.uncountedChanged(from: job) {
            var status = current["status"] ?? [:]
            status["uncountedTerminatedPods"] = tracking.uncountedJSON
            if spec.indexed { status["completedIndexes"] = tracking.completedIndexes.isEmpty ? nil : .string(tracking.completedIndexes.text) }
            current = try await writeStatus(current, status)
        }
        // 2. Release them; 3. count them (in the status written below).
        try await removeFinalizers(tracking.releasePods, jobKey: jobKey)
        let afterRelease = await released.uids(for: jobKey)
        var status = current["status"] ?? [:]
        tracking.flush(into: &status, pods: owned, released: afterRelease, indexed: spec.indexed)

        var counted = current
        counted["status"] = status
        var outcome = JobOutcome(job: counted, spec: spec, tracking: tracking, pods: owned, now: time)
        let manageError: (any Error)?
        if outcome.ending == nil {
            manageError = await manage(current, spec: spec, outcome: &outcome, status: &status, key: key, now: time)
        } else {
            manageError = await deletePods(&outcome, of: current, key: key)
        }
        outcome.apply(to: &status, spec: spec, now: time)
        let written = try await writeStatus(current, status)
        await recordTransitions(from: job, to: written)
        if let delay = outcome.deadlineRemaining, delay > 0 { await queue?.addAfter(key, delay: .seconds(delay)) }
        if let manageError { throw manageError }
    }

    /// Pods this Job controls, by the owner index.
    func ownedPods(of job: JSONValue) async -> [JSONValue] {
        await pods.list(index: .ownerUID, value: job.uid ?? "").filter {
            $0.namespace == job.namespace && ControllerRef(of: $0)?.uid == job.uid
        }
    }

    /// Writes `status` through the status subresource when it differs; returns the stored Job.
    func writeStatus(_ job: JSONValue, _ status: JSONValue) async throws -> JSONValue {
        guard (job["status"] ?? [:]) != status else { return job }
        var updated = job
        updated["status"] = status
        return try await client.updateStatus(.jobs, namespace: job.namespace, updated, options: WriteOptions())
    }

    /// Events for the conditions this sync added.
    func recordTransitions(from old: JSONValue, to new: JSONValue) async {
        func added(_ type: String) -> JSONValue? {
            guard JobCondition.find(old, type) == nil else { return nil }
            return JobCondition.find(new, type)
        }
        if added(JobCondition.complete) != nil {
            await recorder.normal(new, reason: "Completed", message: "Job completed")
        }
        if let failed = added(JobCondition.failed) {
            await recorder.warning(new, reason: failed["reason"]?.stringValue ?? "",
                                   message: failed["message"]?.stringValue ?? "")
        }
        if added(JobCondition.suspended) != nil {
            await recorder.normal(new, reason: "Suspended", message: "Job suspended")
        }
        let wasSuspended = JobCondition.find(old, JobCondition.suspended) != nil
        let resumed = new[path: ["status", "conditions"]]?.arrayValue?.contains {
            $0["type"]?.stringValue == JobCondition.suspended && $0["status"]?.stringValue == "False"
        } ?? false
        if wasSuspended && resumed {
            await recorder.normal(new, reason: "Resumed", message: "Job resumed")
        }
    }
}
