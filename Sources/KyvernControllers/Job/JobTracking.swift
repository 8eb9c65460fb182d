import Foundation
import KyvernAPI

/// How a Job's finished pods are counted, without I/O (upstream's
/// `trackJobStatusAndRemoveFinalizers`, the decision half).
///
/// A finished pod still holding the tracking finalizer is first recorded by uid in
/// `status.uncountedTerminatedPods`, then its finalizer is removed, then the uid moves into the
/// `succeeded`/`failed` counters. Each step is persisted before the next, so a crash or a lost
/// write between them never counts a pod twice or not at all.
struct JobTracking: Sendable {
    /// Uids recorded as finished and not yet in the counters.
    var uncountedSucceeded: Set<String>
    var uncountedFailed: Set<String>
    /// Pods whose finalizer must go: counted (uncounted) or not to be counted at all.
    var releasePods: [JSONValue] = []
    var completedIndexes: CompletionIndexes
    var failedIndexes: CompletionIndexes
    /// Failed pods newly recorded this sync (for the backoff limits).
    var newFailures = 0
    /// Set when a failed pod matched a FailJob rule.
    var failJobMessage: String?

    /// - Parameter released: uids whose finalizer this controller removed but the cache may still show.
    init(job: JSONValue, spec: JobSpec, pods: [JSONValue], released: Set<String>) {
        let status = job["status"] ?? [:]
        func uids(_ key: String) -> Set<String> {
            Set(status[path: ["uncountedTerminatedPods", key]]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        uncountedSucceeded = uids("succeeded")
        uncountedFailed = uids("failed")
        completedIndexes = CompletionIndexes(parsing: status["completedIndexes"]?.stringValue, limit: spec.completions)
        failedIndexes = CompletionIndexes(parsing: status["failedIndexes"]?.stringValue, limit: spec.completions)
        var newlyCompleted: [Int] = []
        var newlyFailedIndexes: [Int] = []

        for pod in pods {
            let uid = pod.uid ?? ""
            let tracked = JobPodFacts.hasTrackingFinalizer(pod) && !released.contains(uid)
            guard tracked else { continue }
            if uncountedSucceeded.contains(uid) || uncountedFailed.contains(uid) {
                releasePods.append(pod)
                continue
            }
            let finished = JobPodFacts.finished(pod, spec: spec)
            // A pod being deleted after its Job decided to end is done with, whatever its outcome.
            guard finished else { continue }
            releasePods.append(pod)
            let index = spec.indexed ? JobPodFacts.index(pod) : nil
            if spec.indexed && (index == nil || index! >= (spec.completions ?? 0)) { continue }
            if JobPodFacts.succeeded(pod) {
                if let index {
                    if completedIndexes.contains(index) || newlyCompleted.contains(index) { continue }
                    newlyCompleted.append(index)
                }
                uncountedSucceeded.insert(uid)
                continue
            }
            // Pods deleted to suspend the Job did not fail.
            if spec.suspended && PodState.phase(pod) != "Failed" { continue }
            let match = PodFailurePolicy.match(spec.podFailurePolicy, pod: pod)
            guard match.counts else { continue }
            uncountedFailed.insert(uid)
            newFailures += 1
            if match.action == .failJob, failJobMessage == nil { failJobMessage = match.message }
            if let index, let perIndex = spec.backoffLimitPerIndex {
                if match.action == .failIndex || JobPodFacts.indexFailureCount(pod) + 1 > perIndex {
                    newlyFailedIndexes.append(index)
                }
            }
        }
        completedIndexes = completedIndexes.union(CompletionIndexes(newlyCompleted))
        failedIndexes = failedIndexes.union(CompletionIndexes(newlyFailedIndexes))
    }

    /// Whether the uncounted sets differ from what `job` stores: they must be written before
    /// any finalizer is removed.
    func uncountedChanged(from job: JSONValue) -> Bool {
        uncountedJSON != (job[path: ["status", "uncountedTerminatedPods"]] ?? [:])
            || (job[path: ["status", "completedIndexes"]]?.stringValue ?? "") != completedIndexes.text
    }

    /// `status.uncountedTerminatedPods` as upstream stores it (empty lists omitted).
    var uncountedJSON: JSONValue {
        var object: [String: JSONValue] = [:]
        if !uncountedSucceeded.isEmpty { object["succeeded"] = .array(uncountedSucceeded.sorted().map { .string($0) }) }
        if !uncountedFailed.isEmpty { object["failed"] = .array(uncountedFailed.sorted().map { .string($0) }) }
        return .object(object)
    }

    /// Moves the uids whose pods are gone or released into the counters of `status`.
    mutating func flush(into status: inout JSONValue, pods: [JSONValue], released: Set<String>, indexed: Bool) {
        let stillTracked = Set(pods.filter { JobPodFacts.hasTrackingFinalizer($0) && !released.contains($0.uid ?? "") }
            .compactMap(\.uid))
        let doneSucceeded = uncountedSucceeded.subtracting(stillTracked)
        let doneFailed = uncountedFailed.subtracting(stillTracked)
        uncountedSucceeded.subtract(doneSucceeded)
        uncountedFailed.subtract(doneFailed)
        let succeeded = indexed ? Int64(completedIndexes.count)
            : (status["succeeded"]?.intValue ?? 0) + Int64(doneSucceeded.count)
        let failed = (status["failed"]?.intValue ?? 0) + Int64(doneFailed.count)
        status["succeeded"] = succeeded > 0 ? .int(succeeded) : nil
        status["failed"] = failed > 0 ? .int(failed) : nil
        status["uncountedTerminatedPods"] = uncountedJSON
    }
}
