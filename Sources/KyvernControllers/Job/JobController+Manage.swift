import Foundation
import KyvernAPI
import KyvernClient
import Logging

extension JobController {
    /// Keeps the wanted number of pods running for a Job that is not ending (upstream's
    /// `manageJob`): suspension deletes them all, otherwise missing pods (missing indexes for an
    /// Indexed Job) are created once the failure backoff allows, and extra pods are deleted.
    func manage(_ job: JSONValue, spec: JobSpec, outcome: inout JobOutcome, status: inout JSONValue,
                key: ObjectKey, now: Date) async -> (any Error)? {
        var conditions = status["conditions"]?.arrayValue ?? []
        let wasSuspended = conditions.contains {
            $0["type"]?.stringValue == JobCondition.suspended && $0["status"]?.stringValue == "True"
        }
        if spec.suspended {
            if !wasSuspended {
                JobCondition.set(JobCondition.make(JobCondition.suspended, reason: "JobSuspended",
                                                   message: "Job suspended", now: now), in: &conditions)
                status["conditions"] = .array(conditions)
                // The deadline counts only the time the Job runs.
                status["startTime"] = nil
            }
            // Pods stopped for the suspension did not fail: released uncounted.
            let stopped = outcome.active
            let error = await deletePods(&outcome, of: job, key: key)
            do {
                try await removeFinalizers(stopped.filter(JobPodFacts.hasTrackingFinalizer), jobKey: key.description)
            } catch {
                return error
            }
            return error
        }
        if wasSuspended {
            JobCondition.set(JobCondition.make(JobCondition.suspended, status: "False", reason: "JobResumed",
                                               message: "Job resumed", now: now), in: &conditions)
            status["conditions"] = .array(conditions)
        }
        if wasSuspended || status["startTime"] == nil {
            status["startTime"] = .string(Timestamp.format(now))
            outcome.deadlineRemaining = spec.activeDeadlineSeconds
        }
        guard await expectations.satisfied(key.description) else { return nil }
        let owned = await ownedPods(of: job)
        return spec.indexed
            ? await manageIndexed(job, spec: spec, outcome: &outcome, owned: owned, key: key, now: now)
            : await manageCount(job, spec: spec, outcome: &outcome, status: status, owned: owned, key: key, now: now)
    }

    private func manageCount(_ job: JSONValue, spec: JobSpec, outcome: inout JobOutcome, status: JSONValue,
                             owned: [JSONValue], key: ObjectKey, now: Date) async -> (any Error)? {
        let succeeded = Int(status["succeeded"]?.intValue ?? 0) + outcome.tracking.uncountedSucceeded.count
        let want: Int
        if let completions = spec.completions {
            want = max(0, min(spec.parallelism, completions - succeeded))
        } else {
            // A work queue: once one pod succeeded, the others finish on their own.
            want = succeeded > 0 ? outcome.active.count : spec.parallelism
        }
        let running = outcome.active.count + (spec.replaceOnlyFailed ? outcome.terminating : 0)
        if outcome.active.count > want {
            let extra = Array(PodDeletionRanking.sorted(outcome.active, related: [], now: now)
                .prefix(min(outcome.active.count - want, Self.burstPods)))
            return await deletePods(extra, from: &outcome, of: job, key: key)
        }
        guard running < want else { return nil }
        let wait = JobBackoff.remaining(pods: owned, spec: spec, now: now)
        if wait > 0 {
            await queue?.addAfter(key, delay: .milliseconds(Int64((wait * 1000).rounded(.up))))
            return nil
        }
        let requests = Array(repeating: PodRequest(index: nil), count: min(want - running, Self.burstPods))
        return await createPods(requests, for: job, outcome: &outcome, key: key)
    }

    private func manageIndexed(_ job: JSONValue, spec: JobSpec, outcome: inout JobOutcome, owned: [JSONValue],
                               key: ObjectKey, now: Date) async -> (any Error)? {
        let completions = spec.completions ?? 0
        let done = outcome.tracking.completedIndexes.union(outcome.tracking.failedIndexes)
        // An index whose pod succeeded is not started again even before the Job's status (read from a
        // cache that may lag the write that counted it) lists it: it would run twice. (Only for new
        // pods: a pod still active in this sync's view is not deleted for it.)
        let succeededPods = CompletionIndexes(owned.filter { PodState.phase($0) == "Succeeded" }.compactMap(JobPodFacts.index))
        var seen = Set<Int>()
        var extra: [JSONValue] = []
        for pod in outcome.active.sorted(by: { ($0.creationTimestamp ?? "") < ($1.creationTimestamp ?? "") }) {
            guard let index = JobPodFacts.index(pod), index < completions, !done.contains(index),
                  seen.insert(index).inserted else {
                extra.append(pod)
                continue
            }
        }
        if !extra.isEmpty { return await deletePods(extra, from: &outcome, of: job, key: key) }
        var busy = seen
        if spec.replaceOnlyFailed {
            for pod in owned where PodState.isTerminating(pod) { if let index = JobPodFacts.index(pod) { busy.insert(index) } }
        }
        let room = min(spec.parallelism - (spec.replaceOnlyFailed ? busy.count : seen.count), Self.burstPods)
        guard room > 0 else { return nil }
        let byIndex = Dictionary(grouping: owned.filter { JobPodFacts.index($0) != nil }, by: { JobPodFacts.index($0)! })
        var requests: [PodRequest] = []
        var earliestWait: TimeInterval?
        let globalWait = spec.backoffLimitPerIndex == nil ? JobBackoff.remaining(pods: owned, spec: spec, now: now) : 0
        if globalWait > 0 { earliestWait = globalWait }
        for index in 0..<completions where requests.count < room && globalWait == 0 {
            guard !done.contains(index), !busy.contains(index), !succeededPods.contains(index) else { continue }
            let history = byIndex[index] ?? []
            if spec.backoffLimitPerIndex != nil {
                let wait = JobBackoff.remaining(pods: history, spec: spec, now: now)
                if wait > 0 {
                    earliestWait = min(earliestWait ?? wait, wait)
                    continue
                }
            }
            requests.append(Self.request(index: index, history: history, spec: spec))
        }
        if let earliestWait { await queue?.addAfter(key, delay: .milliseconds(Int64((earliestWait * 1000).rounded(.up)))) }
        guard !requests.isEmpty else { return nil }
        return await createPods(requests, for: job, outcome: &outcome, key: key)
    }

    /// The next pod of `index`, carrying the failures its earlier pods had (backoffLimitPerIndex).
    static func request(index: Int, history: [JSONValue], spec: JobSpec) -> PodRequest {
        guard spec.backoffLimitPerIndex != nil else { return PodRequest(index: index) }
        var failures = 0, ignored = 0
        for pod in history where PodState.phase(pod) == "Failed" {
            if PodFailurePolicy.match(spec.podFailurePolicy, pod: pod).counts {
                failures = max(failures, JobPodFacts.indexFailureCount(pod) + 1)
                ignored = max(ignored, JobPodFacts.indexIgnoredFailureCount(pod))
            } else {
                failures = max(failures, JobPodFacts.indexFailureCount(pod))
                ignored = max(ignored, JobPodFacts.indexIgnoredFailureCount(pod) + 1)
            }
        }
        return PodRequest(index: index, failureCount: failures, ignoredFailureCount: ignored)
    }

    struct PodRequest: Sendable {
        var index: Int?
        var failureCount = 0
        var ignoredFailureCount = 0
    }

    /// Creates the requested pods in slow-start batches; creations never made are not awaited.
    private func createPods(_ requests: [PodRequest], for job: JSONValue, outcome: inout JobOutcome,
                            key: ObjectKey) async -> (any Error)? {
        let expectationKey = key.description
        await expectations.expectCreations(expectationKey, requests.count)
        let ref = ControllerRef(owner: job, apiVersion: Self.apiVersion, kind: Self.kind)
        let control = podControl
        let client = self.client
        let created = CreatedPods()
        let (successes, error) = await slowStartBatch(count: requests.count) { i in
            let request = requests[i]
            let pod = JobPodTemplate.pod(for: job, index: request.index, failureCount: request.failureCount,
                                         ignoredFailureCount: request.ignoredFailureCount, controllerRef: ref)
            do {
                let made = try await client.create(.pods, namespace: job.namespace, pod, options: WriteOptions())
                await control.recorder.normal(job, reason: "SuccessfulCreate", message: "Created pod: \(made.name ?? "")")
                await created.add(made)
            } catch where PodControl.isNamespaceTerminating(error) {
                // The namespace is going away; its pods go with it.
            } catch {
                await control.recorder.warning(job, reason: "FailedCreate", message: "Error creating: \(errorText(error))")
                throw error
            }
        }
        for _ in 0..<(requests.count - successes) { await expectations.creationObserved(expectationKey) }
        outcome.active += await created.pods
        return error
    }

    /// Deletes every active pod (suspension) and leaves none counted as active.
    func deletePods(_ outcome: inout JobOutcome, of job: JSONValue, key: ObjectKey) async -> (any Error)? {
        await deletePods(outcome.active, from: &outcome, of: job, key: key)
    }

    private func deletePods(_ victims: [JSONValue], from outcome: inout JobOutcome, of job: JSONValue,
                            key: ObjectKey) async -> (any Error)? {
        let error = await deletePods(victims, of: job, key: key)
        let gone = Set(victims.compactMap(\.uid))
        outcome.active.removeAll { gone.contains($0.uid ?? "") }
        outcome.terminating += victims.count
        return error
    }

    /// Deletes `victims`, awaiting their deletion in the expectations.
    func deletePods(_ victims: [JSONValue], of job: JSONValue, key: ObjectKey) async -> (any Error)? {
        guard !victims.isEmpty else { return nil }
        let expectationKey = key.description
        await expectations.expectDeletions(expectationKey, podKeys: victims.map(PodState.key))
        let control = podControl
        let expectations = self.expectations
        return await withTaskGroup(of: (any Error)?.self) { group in
            for pod in victims {
                group.addTask {
                    do {
                        try await control.deletePod(namespace: pod.namespace ?? "", name: pod.name ?? "", owner: job)
                        return nil
                    } catch {
                        await expectations.deletionObserved(expectationKey, podKey: PodState.key(pod))
                        return (error as? APIError)?.code == 404 ? nil : error
                    }
                }
            }
            var first: (any Error)?
            for await case let error? in group where first == nil { first = error }
            return first
        }
    }
}

/// Pods created by one batch of concurrent creations.
private actor CreatedPods {
    var pods: [JSONValue] = []
    func add(_ pod: JSONValue) { pods.append(pod) }
}
