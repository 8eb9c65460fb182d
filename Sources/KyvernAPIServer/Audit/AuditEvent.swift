package import KyvernAPI

/// One `audit.k8s.io/v1` Event, written as one JSON line with upstream's field names and order.
package struct AuditEvent: Sendable {
    package struct ObjectReference: Sendable, Hashable {
        package var resource = ""
        package var namespace = ""
        package var name = ""
        package var apiGroup = ""
        package var apiVersion = ""
        package var subresource = ""
    }

    package var level: AuditLevel
    package var auditID: String
    package var stage: AuditStage
    package var requestURI: String
    package var verb: String
    /// Nil when authentication failed: upstream then logs `"user":{}`.
    package var user: UserInfo?
    package var impersonatedUser: UserInfo?
    package var sourceIPs: [String] = []
    package var userAgent: String?
    package var objectRef: ObjectReference?
    /// `{"metadata":{},"code":201}`, with status, reason and message for failures.
    package var responseStatus: JSONValue?
    package var requestObject: JSONValue?
    package var responseObject: JSONValue?
    package var requestReceivedTimestamp: AuditTimestamp
    package var stageTimestamp: AuditTimestamp
    package var annotations: [String: String] = [:]

    package init(level: AuditLevel, auditID: String, stage: AuditStage, requestURI: String, verb: String,
                 user: UserInfo?, requestReceivedTimestamp: AuditTimestamp, stageTimestamp: AuditTimestamp) {
        self.level = level
        self.auditID = auditID
        self.stage = stage
        self.requestURI = requestURI
        self.verb = verb
        self.user = user
        self.requestReceivedTimestamp = requestReceivedTimestamp
        self.stageTimestamp = stageTimestamp
    }

    /// The event as one line of JSON, newline included.
    package func jsonLine() -> [UInt8] {
        var fields: [(String, JSONValue)] = [
            ("kind", "Event"), ("apiVersion", "audit.k8s.io/v1"), ("level", .string(level.rawValue)),
            ("auditID", .string(auditID)), ("stage", .string(stage.rawValue)), ("requestURI", .string(requestURI)),
            ("verb", .string(verb)), ("user", user.map(Self.userJSON) ?? .object([:])),
        ]
        if let impersonatedUser { fields.append(("impersonatedUser", Self.userJSON(impersonatedUser))) }
        if !sourceIPs.isEmpty { fields.append(("sourceIPs", .array(sourceIPs.map { .string($0) }))) }
        if let userAgent, !userAgent.isEmpty { fields.append(("userAgent", .string(userAgent))) }
        if let objectRef {
            var ref: [String: JSONValue] = [:]
            for (key, value) in [("resource", objectRef.resource), ("namespace", objectRef.namespace),
                                 ("name", objectRef.name), ("apiGroup", objectRef.apiGroup),
                                 ("apiVersion", objectRef.apiVersion), ("subresource", objectRef.subresource)]
            where !value.isEmpty {
                ref[key] = .string(value)
            }
            fields.append(("objectRef", .object(ref)))
        }
        if let responseStatus { fields.append(("responseStatus", responseStatus)) }
        if let requestObject { fields.append(("requestObject", requestObject)) }
        if let responseObject { fields.append(("responseObject", responseObject)) }
        fields.append(("requestReceivedTimestamp", .string(requestReceivedTimestamp.rfc3339Micro)))
        fields.append(("stageTimestamp", .string(stageTimestamp.rfc3339Micro)))
        if !annotations.isEmpty {
            fields.append(("annotations", .object(annotations.mapValues { .string($0) })))
        }
        var line: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            line += JSONValue.string(key).serialized()
            line.append(UInt8(ascii: ":"))
            line += value.serialized()
        }
        line += [UInt8(ascii: "}"), UInt8(ascii: "\n")]
        return line
    }

    static func userJSON(_ user: UserInfo) -> JSONValue {
        var object: [String: JSONValue] = ["username": .string(user.name)]
        if !user.uid.isEmpty { object["uid"] = .string(user.uid) }
        if !user.groups.isEmpty { object["groups"] = .array(user.groups.map { .string($0) }) }
        if !user.extra.isEmpty { object["extra"] = .object(user.extra.mapValues { .array($0.map { .string($0) }) }) }
        return .object(object)
    }
}
