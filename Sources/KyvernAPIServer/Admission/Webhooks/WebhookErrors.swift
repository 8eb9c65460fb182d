import KyvernAPI

/// A webhook that could not be called or answered nonsense: failurePolicy decides whether the
/// request fails (a 500 naming the webhook) or goes on without it.
struct WebhookCallError: Error, Sendable, Equatable {
    var webhook: String
    /// Upstream's wrapped reason, e.g. `failed to call webhook: Post "https://...": context deadline exceeded`.
    var reason: String

    var message: String { "failed calling webhook \"\(webhook)\": \(reason)" }

    /// What the client sees when failurePolicy is Fail.
    var apiError: APIError { .internalError(message) }
}

/// Upstream's wording for the answers a webhook gives or provokes.
enum WebhookMessages {
    /// The refusal of a webhook that said `allowed: false`: its status, with the message prefixed
    /// by who denied it, and at least a 400.
    static func denied(webhook: String, status: JSONValue?) -> APIError {
        let deniedBy = "admission webhook \"\(webhook)\" denied the request"
        let message = status?["message"]?.stringValue ?? ""
        let reason = status?["reason"]?.stringValue ?? ""
        let text: String
        if !message.isEmpty {
            text = "\(deniedBy): \(message)"
        } else if !reason.isEmpty {
            text = "\(deniedBy): \(reason)"
        } else {
            text = "\(deniedBy) without explanation"
        }
        var code = Int(status?["code"]?.intValue ?? 0)
        if code < 400 { code = 400 }
        return APIError(code: code, reason: reason, message: text, details: details(status?["details"]))
    }

    /// A dry-run request reaching a webhook that may have side effects.
    static func dryRunUnsupported(webhook: String) -> APIError {
        .badRequest("admission webhook \"\(webhook)\" does not support dry run")
    }

    private static func details(_ json: JSONValue?) -> APIError.Details? {
        guard let json, json.objectValue != nil else { return nil }
        let causes = (json["causes"]?.arrayValue ?? []).map {
            APIError.Cause(type: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "",
                           field: $0["field"]?.stringValue ?? "")
        }
        return APIError.Details(name: json["name"]?.stringValue, group: json["group"]?.stringValue,
                                kind: json["kind"]?.stringValue, uid: json["uid"]?.stringValue, causes: causes,
                                retryAfterSeconds: json["retryAfterSeconds"]?.intValue.map { Int($0) })
    }
}
