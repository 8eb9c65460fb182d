import Foundation
import KyvernAPI

/// Whether a Job is ending and why, and the status fields that follow from its pods (upstream's
/// `syncJob` decisions). No I/O: the controller acts on it.
struct JobOutcome: Sendable {
    /// An end decided: the interim condition (`FailureTarget`/`SuccessCriteriaMet`) now, the
    /// final one (`Failed`/`Complete`) once no pod is left running.
    struct Ending: Sendable, Equatable {
        var succeeded: Bool
        var reason: String
        var message: String

        var interimType: String { succeeded ? JobCondition.successCriteriaMet : JobCondition.failureTarget }
        var finalType: String { succeeded ? JobCondition.complete : JobCondition.failed }

        static let completionsReached = Ending(succeeded: true, reason: "CompletionsReached",
                                               message: "Reached expected number of succeeded pods")
        static let backoffLimitExceeded = Ending(succeeded: false, reason: "BackoffLimitExceeded",
                                                 message: "Job has reached the specified backoff limit")
        static let deadlineExceeded = Ending(succeeded: false, reason: "DeadlineExceeded",
                                             message: "Job was active longer than specified deadline")
        static let maxFailedIndexesExceeded = Ending(succeeded: false, reason: "MaxFailedIndexesExceeded",
                                                     message: "Job has exceeded the specified maximal number of failed indexes")
        static let failedIndexes = Ending(succeeded: false, reason: "FailedIndexes", message: "Job has failed indexes")
        static func podFailurePolicy(_ message: String) -> Ending {
            Ending(succeeded: false, reason: "PodFailurePolicy", message: message)
        }
    }

    var active: [JSONValue]
    var terminating: Int
    var ending: Ending?
    /// Seconds until `activeDeadlineSeconds` runs out, when it applies.
    var deadlineRemaining: Int64?
    let tracking: JobTracking

    init(job: JSONValue, spec: JobSpec, tracking: JobTracking, pods: [JSONValue], now: Date) {
        self.tracking = tracking
        active = pods.filter(PodState.isActive)
        terminating = pods.filter(PodState.isTerminating).count
        if let target = JobCondition.find(job, JobCondition.failureTarget) {
            ending = Ending(succeeded: false, reason: target["reason"]?.stringValue ?? "",
                            message: target["message"]?.stringValue ?? "")
            return
        }
        if let target = JobCondition.find(job, JobCondition.successCriteriaMet) {
            ending = Ending(succeeded: true, reason: target["reason"]?.stringValue ?? "",
                            message: target["message"]?.stringValue ?? "")
            return
        }
        let status = job["status"] ?? [:]
        let failed = Int(status["failed"]?.intValue ?? 0) + tracking.uncountedFailed.count
        let start = status["startTime"]?.stringValue.flatMap(Timestamp.parse)
        if let message = tracking.failJobMessage {
            ending = .podFailurePolicy(message)
        } else if failed > spec.backoffLimit || Self.pastBackoffLimitOnFailure(active, spec: spec) {
            ending = .backoffLimitExceeded
        } else if let deadline = spec.activeDeadlineSeconds, let start, !spec.suspended {
            let remaining = Double(deadline) - now.timeIntervalSince(start)
            if remaining <= 0 { ending = .deadlineExceeded } else { deadlineRemaining = Int64(remaining.rounded(.up)) }
        }
        guard ending == nil else { return }
        if spec.indexed, spec.backoffLimitPerIndex != nil {
            if let max = spec.maxFailedIndexes, tracking.failedIndexes.count > max {
                ending = .maxFailedIndexesExceeded
                return
            }
            let completions = spec.completions ?? 0
            if !tracking.failedIndexes.isEmpty,
               tracking.failedIndexes.count + tracking.completedIndexes.count >= completions {
                ending = .failedIndexes
                return
            }
        }
        let succeeded = spec.indexed ? tracking.completedIndexes.count
            : Int(status["succeeded"]?.intValue ?? 0) + tracking.uncountedSucceeded.count
        if let completions = spec.completions {
            if succeeded >= completions { ending = .completionsReached }
        } else if succeeded > 0 && active.isEmpty {
            ending = .completionsReached
        }
    }

    /// `restartPolicy: OnFailure` restarts containers in place: their restarts count as failures.
    static func pastBackoffLimitOnFailure(_ active: [JSONValue], spec: JobSpec) -> Bool {
        guard spec.restartOnFailure else { return false }
        let restarts = active.filter { ["Running", "Pending"].contains(PodState.phase($0)) }
            .map(JobPodFacts.restarts).reduce(0, +)
        return spec.backoffLimit == 0 ? restarts > 0 : restarts >= spec.backoffLimit
    }

    /// Fills the counts, indexes and end conditions of `status` (counters already flushed).
    func apply(to status: inout JSONValue, spec: JobSpec, now: Date) {
        status["active"] = .int(Int64(active.count))
        status["ready"] = .int(Int64(active.filter(PodState.isReady).count))
        status["terminating"] = .int(Int64(terminating))
        if spec.indexed {
            status["completedIndexes"] = tracking.completedIndexes.isEmpty ? nil : .string(tracking.completedIndexes.text)
            if spec.backoffLimitPerIndex != nil { status["failedIndexes"] = .string(tracking.failedIndexes.text) }
        }
        guard let ending else { return }
        var conditions = status["conditions"]?.arrayValue ?? []
        JobCondition.set(JobCondition.make(ending.interimType, reason: ending.reason, message: ending.message, now: now),
                         in: &conditions)
        let uncounted = !tracking.uncountedSucceeded.isEmpty || !tracking.uncountedFailed.isEmpty
        if active.isEmpty && terminating == 0 && !uncounted {
            JobCondition.set(JobCondition.make(ending.finalType, reason: ending.reason, message: ending.message, now: now),
                             in: &conditions)
            if ending.succeeded { status["completionTime"] = .string(Timestamp.format(now)) }
        }
        status["conditions"] = .array(conditions)
    }
}
