import Foundation
import KyvernAPI

/// The settings of one Job a sync acts on, read once from its stored (defaulted) spec.
struct JobSpec: Sendable {
    /// nil: any one success completes the Job (a work queue).
    var completions: Int?
    var parallelism: Int
    var backoffLimit: Int
    var backoffLimitPerIndex: Int?
    var maxFailedIndexes: Int?
    var activeDeadlineSeconds: Int64?
    var indexed: Bool
    var suspended: Bool
    /// `Failed`: a replacement waits until the pod it replaces is fully terminated.
    var replaceOnlyFailed: Bool
    var podFailurePolicy: JSONValue?
    var restartOnFailure: Bool

    init(_ job: JSONValue) {
        let spec = job["spec"] ?? [:]
        completions = spec["completions"]?.intValue.map { Int($0) }
        parallelism = Int(spec["parallelism"]?.intValue ?? 1)
        backoffLimit = Int(spec["backoffLimit"]?.intValue ?? 6)
        backoffLimitPerIndex = spec["backoffLimitPerIndex"]?.intValue.map { Int($0) }
        maxFailedIndexes = spec["maxFailedIndexes"]?.intValue.map { Int($0) }
        activeDeadlineSeconds = spec["activeDeadlineSeconds"]?.intValue
        indexed = spec["completionMode"]?.stringValue == "Indexed"
        suspended = spec["suspend"]?.boolValue == true
        podFailurePolicy = spec["podFailurePolicy"].flatMap { $0.isNull ? nil : $0 }
        replaceOnlyFailed = spec["podReplacementPolicy"]?.stringValue == "Failed"
        restartOnFailure = spec[path: ["template", "spec", "restartPolicy"]]?.stringValue == "OnFailure"
    }
}

/// The conditions that end a Job and the ones announcing the end.
enum JobCondition {
    static let complete = "Complete"
    static let failed = "Failed"
    static let failureTarget = "FailureTarget"
    static let successCriteriaMet = "SuccessCriteriaMet"
    static let suspended = "Suspended"

    /// The `True` condition of `type`, if present.
    static func find(_ job: JSONValue, _ type: String) -> JSONValue? {
        job[path: ["status", "conditions"]]?.arrayValue?.first {
            $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True"
        }
    }

    /// Complete or Failed: nothing more to run.
    static func isFinished(_ job: JSONValue) -> Bool {
        find(job, complete) != nil || find(job, failed) != nil
    }

    /// The finished condition's type, if finished.
    static func finishedType(_ job: JSONValue) -> String? {
        if find(job, complete) != nil { return complete }
        if find(job, failed) != nil { return failed }
        return nil
    }

    static func make(_ type: String, status: String = "True", reason: String, message: String, now: Date) -> JSONValue {
        let stamp = JSONValue.string(Timestamp.format(now))
        return ["type": .string(type), "status": .string(status), "lastProbeTime": stamp,
                "lastTransitionTime": stamp, "reason": .string(reason), "message": .string(message)]
    }

    /// Sets `condition` in `conditions`: a new type is appended; an existing one is replaced
    /// only when its status, reason or message differs (its probe time moves, its transition
    /// time only when the status flips). Returns whether anything changed.
    @discardableResult
    static func set(_ condition: JSONValue, in conditions: inout [JSONValue]) -> Bool {
        let type = condition["type"]?.stringValue
        guard let at = conditions.firstIndex(where: { $0["type"]?.stringValue == type }) else {
            conditions.append(condition)
            return true
        }
        let old = conditions[at]
        if old["status"] == condition["status"] && old["reason"] == condition["reason"]
            && old["message"] == condition["message"] { return false }
        var updated = condition
        if old["status"] == condition["status"] { updated["lastTransitionTime"] = old["lastTransitionTime"] }
        conditions[at] = updated
        return true
    }
}
