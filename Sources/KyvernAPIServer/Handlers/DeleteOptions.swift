import KyvernAPI

/// A delete request's options, from its `DeleteOptions` body or its query.
struct DeleteOptions: Sendable {
    var dryRun = false
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var propagationPolicy: String?
    var gracePeriodSeconds: Int64?

    init(_ request: ResourceRequest) throws {
        dryRun = request.dryRun
        propagationPolicy = request.query["propagationPolicy"]
        gracePeriodSeconds = request.query["gracePeriodSeconds"].flatMap { Int64($0) }
        if !request.body.isEmpty {
            let body = try BodyDecoder.decode(request.body, contentType: request.contentType, what: "DeleteOptions")
            if let kind = body["kind"]?.stringValue, kind != "DeleteOptions" {
                throw APIError.badRequest("the body of a delete must be a DeleteOptions, got \(kind)")
            }
            if body["dryRun"]?.arrayValue?.contains("All") == true { dryRun = true }
            preconditionUID = body[path: ["preconditions", "uid"]]?.stringValue
            preconditionResourceVersion = body[path: ["preconditions", "resourceVersion"]]?.stringValue
            propagationPolicy = body["propagationPolicy"]?.stringValue ?? propagationPolicy
            gracePeriodSeconds = body["gracePeriodSeconds"]?.intValue ?? gracePeriodSeconds
        }
        if let policy = propagationPolicy, !["Orphan", "Background", "Foreground"].contains(policy) {
            throw APIError.invalid(group: "meta.k8s.io", kind: "DeleteOptions", name: "",
                                   causes: [.init(type: "FieldValueNotSupported",
                                                  message: "Unsupported value: \"\(policy)\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                                                  field: "propagationPolicy")])
        }
        if let grace = gracePeriodSeconds, grace < 0 {
            throw APIError.invalid(group: "meta.k8s.io", kind: "DeleteOptions", name: "",
                                   causes: [.init(type: "FieldValueInvalid", message: "Invalid value: \(grace): must be >= 0",
                                                  field: "gracePeriodSeconds")])
        }
    }

    /// Preconditions fail with 409 as upstream.
    func check(_ object: JSONValue, info: ResourceInfo, name: String) throws {
        if let uid = preconditionUID, uid != object[path: ["metadata", "uid"]]?.stringValue {
            throw APIError.conflict(group: info.group, resource: info.resource, name: name,
                                    reason: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object[path: ["metadata", "uid"]]?.stringValue ?? "")")
        }
        if let rv = preconditionResourceVersion, rv != object[path: ["metadata", "resourceVersion"]]?.stringValue {
            throw APIError.conflict(group: info.group, resource: info.resource, name: name,
                                    reason: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(object[path: ["metadata", "resourceVersion"]]?.stringValue ?? "")")
        }
    }
}
