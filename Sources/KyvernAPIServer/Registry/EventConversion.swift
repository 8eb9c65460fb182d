import KyvernAPI

/// core/v1 and events.k8s.io/v1 Events are one resource with two shapes, as upstream: stored once
/// in the core/v1 shape under the core key, and converted on the way in and out of events.k8s.io.
///
/// The field mapping is upstream's: `regarding` ↔ `involvedObject`, `note` ↔ `message`,
/// `reportingController` ↔ `reportingComponent`, `deprecatedSource` ↔ `source`,
/// `deprecatedFirstTimestamp`/`deprecatedLastTimestamp`/`deprecatedCount` ↔
/// `firstTimestamp`/`lastTimestamp`/`count`; everything else (`eventTime`, `series`, `related`,
/// `action`, `reason`, `type`, `reportingInstance`, metadata) keeps its name.
enum EventConversion {
    static let coreGroupVersion = "v1"
    static let eventsGroupVersion = "events.k8s.io/v1"

    /// events.k8s.io/v1 field → core/v1 field, for the renamed top-level fields.
    static let renamed: [(events: String, core: String)] = [
        ("regarding", "involvedObject"),
        ("note", "message"),
        ("reportingController", "reportingComponent"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
    ]

    /// True for the events.k8s.io resource served from the core storage.
    static func isEventsV1(_ info: ResourceInfo) -> Bool {
        info.group == "events.k8s.io" && info.resource == "events"
    }

    /// The core/v1 `events` resource that holds both shapes.
    static var coreInfo: ResourceInfo {
        ResourceCatalog.find(group: "", version: "v1", resource: "events")!
    }

    /// events.k8s.io/v1 → core/v1 (the stored shape).
    static func toCore(_ event: JSONValue) -> JSONValue {
        guard var fields = event.objectValue else { return event }
        fields["apiVersion"] = .string(coreGroupVersion)
        fields["kind"] = "Event"
        for (eventsName, coreName) in renamed {
            let value = fields.removeValue(forKey: eventsName)
            fields[coreName] = value
        }
        // Fields the core/v1 type always serializes (Go structs and non-omitempty strings).
        if fields["involvedObject"] == nil { fields["involvedObject"] = [:] }
        if fields["source"] == nil { fields["source"] = [:] }
        if fields["reportingComponent"] == nil { fields["reportingComponent"] = "" }
        if fields["reportingInstance"] == nil { fields["reportingInstance"] = "" }
        return .object(fields)
    }

    /// core/v1 (the stored shape) → events.k8s.io/v1.
    static func toEventsV1(_ event: JSONValue) -> JSONValue {
        guard var fields = event.objectValue else { return event }
        fields["apiVersion"] = .string(eventsGroupVersion)
        fields["kind"] = "Event"
        for (eventsName, coreName) in renamed {
            let value = fields.removeValue(forKey: coreName)
            fields[eventsName] = value
        }
        // Empty strings are omitted by the events.k8s.io/v1 type; its structs and eventTime are not.
        for name in ["reportingController", "reportingInstance", "note", "reason", "action", "type"]
        where fields[name]?.stringValue == "" {
            fields[name] = nil
        }
        if fields["deprecatedCount"]?.intValue == 0 { fields["deprecatedCount"] = nil }
        if fields["regarding"] == nil { fields["regarding"] = [:] }
        if fields["deprecatedSource"] == nil { fields["deprecatedSource"] = [:] }
        if fields["eventTime"] == nil { fields["eventTime"] = .null }
        return .object(fields)
    }

    /// A field selector written against events.k8s.io/v1, rewritten to the core/v1 field names
    /// (upstream's field label conversion: `regarding.*` → `involvedObject.*`,
    /// `reportingController` → `reportingComponent`). Unknown labels are refused as upstream does.
    static func coreFieldSelector(_ text: String) throws -> String {
        var selector = try FieldSelector.parse(text)
        selector.requirements = try selector.requirements.map { requirement in
            var renamed = requirement
            renamed.field = try coreFieldLabel(requirement.field)
            return renamed
        }
        return selector.description
    }

    static func coreFieldLabel(_ label: String) throws -> String {
        switch label {
        case "metadata.name", "metadata.namespace", "reason", "type":
            return label
        case "reportingController":
            return "reportingComponent"
        case "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion",
             "regarding.resourceVersion", "regarding.fieldPath":
            return "involvedObject." + label.dropFirst("regarding.".count)
        default:
            throw APIError.badRequest("field label not supported: \(label)")
        }
    }
}
