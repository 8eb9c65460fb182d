import KyvernAPI

/// A Job's `podFailurePolicy` applied to one failed pod (upstream's `matchPodFailurePolicy`).
///
/// Rules are tried in order; the first whose exit codes or pod conditions match decides. A pod
/// no rule matches counts against `backoffLimit` as if there were no policy.
enum PodFailurePolicy {
    enum Action: String, Sendable {
        case failJob = "FailJob"
        case failIndex = "FailIndex"
        case ignore = "Ignore"
        case count = "Count"
    }

    struct Match: Sendable, Equatable {
        var action: Action?
        /// For FailJob: the message of the Job's failure condition.
        var message: String?
        /// Whether the failure counts against the backoff limits.
        var counts: Bool { action != .ignore }
    }

    static func match(_ policy: JSONValue?, pod: JSONValue) -> Match {
        guard let rules = policy?["rules"]?.arrayValue else { return Match(action: nil) }
        for (index, rule) in rules.enumerated() {
            guard let action = rule["action"]?.stringValue.flatMap(Action.init(rawValue:)) else { continue }
            if let onExitCodes = rule["onExitCodes"], !onExitCodes.isNull {
                guard let container = matchingContainer(onExitCodes, pod: pod) else { continue }
                let message = action == .failJob
                    ? "Container \(container.name) for pod \(pod.namespace ?? "")/\(pod.name ?? "") failed with exit code \(container.exitCode) matching FailJob rule at index \(index)"
                    : nil
                return Match(action: action, message: message)
            }
            if let patterns = rule["onPodConditions"]?.arrayValue, !patterns.isEmpty {
                guard let type = matchingCondition(patterns, pod: pod) else { continue }
                let message = action == .failJob
                    ? "Pod \(pod.namespace ?? "")/\(pod.name ?? "") has condition \(type) matching FailJob rule at index \(index)"
                    : nil
                return Match(action: action, message: message)
            }
        }
        return Match(action: nil)
    }

    /// The first terminated container (init containers first) with a non-zero exit code the
    /// requirement's operator accepts.
    private static func matchingContainer(_ requirement: JSONValue, pod: JSONValue) -> (name: String, exitCode: Int64)? {
        let only = requirement["containerName"]?.stringValue
        let values = Set(requirement["values"]?.arrayValue?.compactMap(\.intValue) ?? [])
        let notIn = requirement["operator"]?.stringValue == "NotIn"
        for list in ["initContainerStatuses", "containerStatuses"] {
            for status in pod[path: ["status", list]]?.arrayValue ?? [] {
                let name = status["name"]?.stringValue ?? ""
                if let only, only != name { continue }
                guard let code = status[path: ["state", "terminated", "exitCode"]]?.intValue, code != 0 else { continue }
                if values.contains(code) != notIn { return (name, code) }
            }
        }
        return nil
    }

    private static func matchingCondition(_ patterns: [JSONValue], pod: JSONValue) -> String? {
        for condition in pod[path: ["status", "conditions"]]?.arrayValue ?? [] {
            let type = condition["type"]?.stringValue
            let status = condition["status"]?.stringValue
            if patterns.contains(where: { $0["type"]?.stringValue == type && ($0["status"]?.stringValue ?? "True") == status }) {
                return type
            }
        }
        return nil
    }
}
