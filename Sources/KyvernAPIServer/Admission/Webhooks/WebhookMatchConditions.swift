import KyvernAPI
import KyvernCEL

/// A webhook's `matchConditions`, evaluated with CEL over `object`, `oldObject` and `request` as
/// upstream does: every condition true calls the webhook, one false skips it, and an error is the
/// webhook's failure (its failurePolicy decides).
enum WebhookMatchConditions {
    static let environment = CELEnvironment(variables: ["object": .dyn, "oldObject": .dyn, "request": .dyn])
    /// Upstream's per-call cost limit for admission CEL.
    static let costLimit: UInt64 = 1_000_000

    struct EvaluationError: Error, Sendable, CustomStringConvertible {
        var description: String
    }

    static func evaluate(_ conditions: [AdmissionWebhook.MatchCondition], _ attributes: AdmissionAttributes) throws -> Bool {
        let request = AdmissionReview.request(attributes, uid: "", version: "v1")[path: ["request"]] ?? .null
        let bindings: [String: CELValue] = [
            "object": CELValue(json: attributes.object ?? .null),
            "oldObject": CELValue(json: attributes.oldObject ?? .null),
            "request": CELValue(json: request),
        ]
        var failures: [String] = []
        for condition in conditions {
            let program: CELProgram
            switch environment.compile(condition.expression) {
            case .success(let compiled): program = compiled
            case .failure(let error): throw EvaluationError(description: "compilation failed: \(error)")
            }
            switch program.evaluate(bindings, costLimit: costLimit).value {
            case .success(.bool(false)): return false
            case .success(.bool(true)): continue
            case .success(let other): failures.append("matchCondition '\(condition.name)' must evaluate to bool, got \(other)")
            case .failure(let error): failures.append("matchCondition '\(condition.name)': \(error)")
            }
        }
        if !failures.isEmpty { throw EvaluationError(description: failures.joined(separator: ", ")) }
        return true
    }
}
