/// A Kubernetes `Status` failure: what the API answers for every refused request.
///
/// Carrying code, reason and causes as data lets every layer (decoding, validation, store)
/// throw one error type that the HTTP layer turns into the exact upstream response.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    /// The machine-readable reason, e.g. "NotFound", "AlreadyExists", "Conflict", "Invalid".
    public var reason: String
    public var message: String
    public var details: Details?

    public struct Details: Sendable, Hashable {
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]
        public var retryAfterSeconds: Int?

        public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
                    causes: [Cause] = [], retryAfterSeconds: Int? = nil) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.causes = causes
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    /// One reason a request was refused, usually naming a field (e.g. "metadata.name").
    public struct Cause: Sendable, Hashable {
        /// e.g. "FieldValueInvalid", "FieldValueRequired", "FieldValueDuplicate", "FieldValueNotSupported".
        public var type: String
        public var message: String
        public var field: String

        public init(type: String, message: String, field: String) {
            self.type = type
            self.message = message
            self.field = field
        }
    }

    public init(code: Int, reason: String, message: String, details: Details? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `Status` object sent to the client.
    public var status: JSONValue {
        var s: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details {
            var d: [String: JSONValue] = [:]
            // Upstream's StatusDetails omits empty fields (the core group's "" included).
            if let name = details.name, !name.isEmpty { d["name"] = .string(name) }
            if let group = details.group, !group.isEmpty { d["group"] = .string(group) }
            if let kind = details.kind, !kind.isEmpty { d["kind"] = .string(kind) }
            if let uid = details.uid, !uid.isEmpty { d["uid"] = .string(uid) }
            if let retry = details.retryAfterSeconds { d["retryAfterSeconds"] = .int(Int64(retry)) }
            if !details.causes.isEmpty {
                // Upstream's StatusCause omits an empty field (`omitempty`), as the eviction's DisruptionBudget cause shows.
                d["causes"] = .array(details.causes.map { cause -> JSONValue in
                    var entry: JSONValue = ["reason": .string(cause.type), "message": .string(cause.message)]
                    if !cause.field.isEmpty { entry["field"] = .string(cause.field) }
                    return entry
                })
            }
            s["details"] = .object(d)
        }
        return s
    }
}

extension APIError {
    /// "pods \"x\" not found".
    public static func notFound(group: String, resource: String, name: String) -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        return APIError(code: 404, reason: "NotFound", message: "\(qualified) \"\(name)\" not found",
                        details: Details(name: name, group: group, kind: resource))
    }

    public static func alreadyExists(group: String, resource: String, name: String) -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        return APIError(code: 409, reason: "AlreadyExists", message: "\(qualified) \"\(name)\" already exists",
                        details: Details(name: name, group: group, kind: resource))
    }

    public static func conflict(group: String, resource: String, name: String, reason: String) -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        return APIError(code: 409, reason: "Conflict",
                        message: "Operation cannot be fulfilled on \(qualified) \"\(name)\": \(reason)",
                        details: Details(name: name, group: group, kind: resource))
    }

    /// 422 with one cause per field: `Kind.group "name" is invalid: field: message, ...`.
    public static func invalid(group: String, kind: String, name: String, causes: [Cause]) -> APIError {
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        let joined = causes.count > 1 ? "[\(summary)]" : summary
        return APIError(code: 422, reason: "Invalid", message: "\(qualified) \"\(name)\" is invalid: \(joined)",
                        details: Details(name: name, group: group, kind: kind, causes: causes))
    }

    public static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func methodNotAllowed(_ message: String) -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: message)
    }

    public static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    public static func tooLarge(_ message: String) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: message)
    }

    public static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType",
                 message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
    }
}
