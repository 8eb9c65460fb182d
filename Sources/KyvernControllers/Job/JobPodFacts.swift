import Foundation
import KyvernAPI

/// What the Job controller reads from its pods: index, outcome, finish time, tracking finalizer.
enum JobPodFacts {
    /// Held by every pod a Job creates until the Job has counted its outcome, so a pod deleted
    /// early (by a user, by pod GC) is still counted once.
    static let trackingFinalizer = "batch.kubernetes.io/job-tracking"
    static let indexAnnotation = "batch.kubernetes.io/job-completion-index"
    static let indexLabel = "batch.kubernetes.io/job-completion-index"
    static let indexFailureCountAnnotation = "batch.kubernetes.io/job-index-failure-count"
    static let indexIgnoredFailureCountAnnotation = "batch.kubernetes.io/job-index-ignored-failure-count"

    /// The completion index an Indexed Job's pod runs, from its annotation (or label).
    static func index(_ pod: JSONValue) -> Int? {
        let text = pod.annotations[indexAnnotation] ?? pod.labels[indexLabel]
        guard let text, let value = Int(text), value >= 0 else { return nil }
        return value
    }

    static func hasTrackingFinalizer(_ pod: JSONValue) -> Bool {
        pod.finalizers.contains(trackingFinalizer)
    }

    static func succeeded(_ pod: JSONValue) -> Bool {
        PodState.phase(pod) == "Succeeded"
    }

    /// Whether `pod` counts as failed (upstream's `isPodFailed`): `Failed`, or deleted before
    /// succeeding, unless the Job waits for terminal phases (a pod failure policy, or
    /// `podReplacementPolicy: Failed`), so a policy always sees the real outcome.
    static func failed(_ pod: JSONValue, spec: JobSpec) -> Bool {
        if PodState.phase(pod) == "Failed" { return true }
        if spec.podFailurePolicy != nil || spec.replaceOnlyFailed { return false }
        return pod.deletionTimestamp != nil && !succeeded(pod)
    }

    /// Finished from the Job's point of view: its outcome can be counted.
    static func finished(_ pod: JSONValue, spec: JobSpec) -> Bool {
        succeeded(pod) || failed(pod, spec: spec)
    }

    /// When the pod stopped: its containers' latest `finishedAt`, else its deletion or creation time.
    static func finishTime(_ pod: JSONValue) -> Date? {
        let statuses = pod[path: ["status", "containerStatuses"]]?.arrayValue ?? []
        let finished = statuses.compactMap {
            $0[path: ["state", "terminated", "finishedAt"]]?.stringValue.flatMap(Timestamp.parse)
        }
        if let latest = finished.max() { return latest }
        return (pod.deletionTimestamp ?? pod.creationTimestamp).flatMap(Timestamp.parse)
    }

    /// Failures counted against the pod's index before this pod (backoffLimitPerIndex).
    static func indexFailureCount(_ pod: JSONValue) -> Int {
        pod.annotations[indexFailureCountAnnotation].flatMap { Int($0) } ?? 0
    }

    static func indexIgnoredFailureCount(_ pod: JSONValue) -> Int {
        pod.annotations[indexIgnoredFailureCountAnnotation].flatMap { Int($0) } ?? 0
    }

    /// Container restarts, counted against `backoffLimit` for `restartPolicy: OnFailure`.
    static func restarts(_ pod: JSONValue) -> Int {
        let lists = ["containerStatuses", "initContainerStatuses"].compactMap { pod[path: ["status", $0]]?.arrayValue }
        return Int(lists.joined().compactMap { $0["restartCount"]?.intValue }.reduce(0, +))
    }
}
