import KyvernAPI

/// A delete request's options, from its `DeleteOptions` body or its query.
struct DeleteOptions: Sendable {
    var dryRun = false
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var propagationPolicy: String?
    /// The legacy form of `propagationPolicy`: true is Orphan, false is Foreground.
    var orphanDependents: Bool?
    var gracePeriodSeconds: Int64?

    init(dryRun: Bool = false, propagationPolicy: String? = nil, orphanDependents: Bool? = nil,
         gracePeriodSeconds: Int64? = nil, preconditionUID: String? = nil, preconditionResourceVersion: String? = nil) {
        self.dryRun = dryRun
        self.propagationPolicy = propagationPolicy
        self.orphanDependents = orphanDependents
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    init(_ request: ResourceRequest) throws {
        dryRun = request.dryRun
        propagationPolicy = request.query["propagationPolicy"]
        gracePeriodSeconds = request.query["gracePeriodSeconds"].flatMap { Int64($0) }
        orphanDependents = request.query["orphanDependents"].flatMap { Bool($0) }
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
            orphanDependents = body["orphanDependents"]?.boolValue ?? orphanDependents
        }
        try validate()
    }

    /// Upstream's ValidateDeleteOptions.
    func validate() throws {
        var causes: [APIError.Cause] = []
        if orphanDependents != nil, let policy = propagationPolicy {
            causes.append(.invalid("propagationPolicy", .string(policy), "orphanDependents and deletionPropagation cannot be both set"))
        }
        if let policy = propagationPolicy, !["Foreground", "Background", "Orphan"].contains(policy) {
            causes.append(.notSupported("propagationPolicy", .string(policy), supported: ["Foreground", "Background", "Orphan", "nil"]))
        }
        if !causes.isEmpty {
            throw APIError.invalid(group: "meta.k8s.io", kind: "DeleteOptions", name: "", causes: causes)
        }
    }

    /// Namespaces check their preconditions with this wording (their own delete, as upstream).
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
