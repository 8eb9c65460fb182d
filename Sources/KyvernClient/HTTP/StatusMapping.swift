import Foundation
package import KyvernAPI

/// Turns a failed response into the `APIError` the server meant.
///
/// Servers answer failures with a `Status` object; proxies and crashed handlers may answer with
/// anything, so a body that is not a Status still yields an error with the reason upstream's
/// client derives from the HTTP code, and callers can always branch on `reason`.
package enum StatusMapping {
    package static func error(httpCode: Int, body: [UInt8]) -> APIError {
        if let value = try? JSONValue.parse(body), let error = error(fromStatus: value, httpCode: httpCode) {
            return error
        }
        let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let message = text.isEmpty
            ? "the server responded with the status code \(httpCode) but did not return more information"
            : text
        return APIError(code: httpCode, reason: reason(forHTTPCode: httpCode), message: message)
    }

    /// Reads a `Status` object (a failed response's body or a watch ERROR event's object).
    package static func error(fromStatus value: JSONValue, httpCode: Int? = nil) -> APIError? {
        guard value["kind"]?.stringValue == "Status" || (value["status"]?.stringValue == "Failure") else { return nil }
        let code = value["code"]?.intValue.map(Int.init) ?? httpCode ?? 500
        let reason = value["reason"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? reason(forHTTPCode: code)
        let message = value["message"]?.stringValue ?? ""
        var details: APIError.Details?
        if let d = value["details"], d.objectValue != nil {
            let causes = (d["causes"]?.arrayValue ?? []).map {
                APIError.Cause(type: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "",
                               field: $0["field"]?.stringValue ?? "")
            }
            details = APIError.Details(
                name: d["name"]?.stringValue, group: d["group"]?.stringValue, kind: d["kind"]?.stringValue,
                uid: d["uid"]?.stringValue, causes: causes,
                retryAfterSeconds: d["retryAfterSeconds"]?.intValue.map(Int.init))
        }
        return APIError(code: code, reason: reason, message: message, details: details)
    }

    /// The `StatusReason` upstream's client assigns to a bare HTTP code.
    package static func reason(forHTTPCode code: Int) -> String {
        switch code {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 406: "NotAcceptable"
        case 409: "Conflict"
        case 410: "Expired"
        case 413: "RequestEntityTooLarge"
        case 415: "UnsupportedMediaType"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: "Unknown"
        }
    }
}
