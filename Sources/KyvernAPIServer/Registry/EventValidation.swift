import Foundation
import KyvernAPI

/// Upstream's validation of Events written through events.k8s.io/v1: the strict rules for "new"
/// events (eventTime, reporting controller and instance, action, no deprecated fields) and, on
/// update, that only the series and metadata may change.
///
/// Upstream validates the stored (internal) shape, so causes name the core field paths
/// (`involvedObject.namespace`, `message`, `count`...) even for an events.k8s.io request; these
/// functions take the core/v1 shape for the same reason.
enum EventValidation {
    static let reportingInstanceLimit = 128
    static let actionLimit = 128
    static let reasonLimit = 128
    static let noteLimit = 1024

    /// Create through events.k8s.io/v1; `namespace` is the request's.
    static func validateCreate(_ event: JSONValue, namespace: String) -> [APIError.Cause] {
        var causes = legacy(event, namespace: namespace)
        causes += series(event)
        if string(event, "eventTime").isEmpty { causes.append(.required("eventTime")) }
        let type = string(event, "type")
        if type != "Normal" && type != "Warning" {
            causes.append(.invalid("type", "\"\"", "has invalid value: \(type)"))
        }
        for field in ["firstTimestamp", "lastTimestamp"] where !string(event, field).isEmpty {
            causes.append(.invalid(field, "\"\"", "needs to be unset"))
        }
        if (event["count"]?.intValue ?? 0) != 0 { causes.append(.invalid("count", "\"\"", "needs to be unset")) }
        if !string(event, "source", "component").isEmpty || !string(event, "source", "host").isEmpty {
            causes.append(.invalid("source", "\"\"", "needs to be unset"))
        }
        return causes
    }

    /// Update through events.k8s.io/v1: everything but the series and metadata is immutable.
    static func validateUpdate(_ event: JSONValue, old: JSONValue, namespace: String) -> [APIError.Cause] {
        var causes = legacy(event, namespace: namespace)
        causes += series(event)
        let immutable: [(String, GoValue)] = [
            ("involvedObject", .reference), ("reason", .string), ("message", .string), ("source", .source),
            ("firstTimestamp", .time), ("lastTimestamp", .time), ("count", .int), ("reason", .string),
            ("type", .string), ("eventTime", .time), ("action", .string), ("related", .optionalReference),
            ("reportingComponent", .string), ("reportingInstance", .string),
        ]
        for (field, kind) in immutable where !kind.same(event[field], old[field]) {
            let path = field == "reportingComponent" ? "reportingController" : field
            causes.append(.init(type: "FieldValueInvalid",
                                message: "Invalid value: \(kind.describe(event[field])): field is immutable", field: path))
        }
        return causes
    }

    /// The rules every event passes (upstream's legacy validation). `controllerField` is how the
    /// reporting controller is named in causes: `reportingComponent` for a core/v1 request.
    static func legacy(_ event: JSONValue, namespace: String,
                       controllerField: String = "reportingController") -> [APIError.Cause] {
        var causes: [APIError.Cause] = []
        let involvedNamespace = string(event, "involvedObject", "namespace")
        if string(event, "eventTime").isEmpty {
            if involvedNamespace.isEmpty {
                if !namespace.isEmpty && namespace != "default" {
                    causes.append(.invalid("involvedObject.namespace", quoted(involvedNamespace), "does not match event.namespace"))
                }
            } else if namespace != involvedNamespace {
                causes.append(.invalid("involvedObject.namespace", quoted(involvedNamespace), "does not match event.namespace"))
            }
        } else {
            if involvedNamespace.isEmpty && namespace != "default" && namespace != "kube-system" {
                causes.append(.invalid("involvedObject.namespace", quoted(involvedNamespace), "does not match event.namespace"))
            }
            let controller = string(event, "reportingComponent")
            if controller.isEmpty { causes.append(.required(controllerField)) }
            for message in NameValidation.isQualifiedName(controller) {
                causes.append(.invalid(controllerField, quoted(controller), message))
            }
            let instance = string(event, "reportingInstance")
            if instance.isEmpty { causes.append(.required("reportingInstance")) }
            if instance.count > reportingInstanceLimit {
                causes.append(.invalid("reportingInstance", "\"\"", "can have at most \(reportingInstanceLimit) characters"))
            }
            let action = string(event, "action")
            if action.isEmpty { causes.append(.required("action")) }
            if action.count > actionLimit {
                causes.append(.invalid("action", "\"\"", "can have at most \(actionLimit) characters"))
            }
            let reason = string(event, "reason")
            if reason.isEmpty { causes.append(.required("reason")) }
            if reason.count > reasonLimit {
                causes.append(.invalid("reason", "\"\"", "can have at most \(reasonLimit) characters"))
            }
            if string(event, "message").count > noteLimit {
                causes.append(.invalid("message", "\"\"", "can have at most \(noteLimit) characters"))
            }
        }
        return causes
    }

    static func series(_ event: JSONValue) -> [APIError.Cause] {
        guard let series = event["series"], series != .null else { return [] }
        var causes: [APIError.Cause] = []
        if (series["count"]?.intValue ?? 0) < 2 {
            causes.append(.invalid("series.count", "\"\"", "should be at least 2"))
        }
        if (series["lastObservedTime"]?.stringValue ?? "").isEmpty {
            causes.append(.required("series.lastObservedTime"))
        }
        return causes
    }

    static func string(_ event: JSONValue, _ path: String...) -> String {
        event[path: path]?.stringValue ?? ""
    }

    static func quoted(_ text: String) -> String {
        goQuote(text)
    }
}

/// How upstream prints a field's value in "field is immutable" (Go's `%q`, `%v`, `String()` or `%#v`).
private enum GoValue {
    case string, int, time, reference, optionalReference, source

    func same(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch self {
        case .string, .time: return (a?.stringValue ?? "") == (b?.stringValue ?? "")
        case .int: return (a?.intValue ?? 0) == (b?.intValue ?? 0)
        case .reference, .source: return normalized(a) == normalized(b)
        case .optionalReference:
            if a == nil || a == .null || b == nil || b == .null { return (a ?? .null) == (b ?? .null) }
            return normalized(a) == normalized(b)
        }
    }

    private func normalized(_ value: JSONValue?) -> [String: JSONValue] {
        (value?.objectValue ?? [:]).filter { $0.value != .null && $0.value != "" }
    }

    func describe(_ value: JSONValue?) -> String {
        switch self {
        case .string: return goQuote(value?.stringValue ?? "")
        case .int: return String(value?.intValue ?? 0)
        case .time: return GoValue.goTime(value?.stringValue ?? "")
        case .source:
            return "core.EventSource{Component:\(field(value, "component")), Host:\(field(value, "host"))}"
        case .reference, .optionalReference:
            if self == .optionalReference, value == nil || value == .null { return "null" }
            let fields = [("Kind", "kind"), ("Namespace", "namespace"), ("Name", "name"), ("UID", "uid"),
                          ("APIVersion", "apiVersion"), ("ResourceVersion", "resourceVersion"), ("FieldPath", "fieldPath")]
            return "core.ObjectReference{" + fields.map { "\($0.0):\(field(value, $0.1))" }.joined(separator: ", ") + "}"
        }
    }

    private func field(_ value: JSONValue?, _ name: String) -> String {
        goQuote(value?[name]?.stringValue ?? "")
    }

    /// Go's `time.Time.String()` of a UTC timestamp: `2006-01-02 15:04:05.999999999 +0000 UTC`.
    static func goTime(_ text: String) -> String {
        guard let date = Timestamp.parse(text) else { return "0001-01-01 00:00:00 +0000 UTC" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var out = formatter.string(from: date)
        let nanos = Int((date.timeIntervalSince1970 - floor(date.timeIntervalSince1970)) * 1_000_000 + 0.5) * 1000
        if nanos > 0 {
            var fraction = String(format: "%09d", nanos)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            out += "." + fraction
        }
        return out + " +0000 UTC"
    }
}

private extension APIError.Cause {
    static func required(_ field: String) -> APIError.Cause {
        .init(type: "FieldValueRequired", message: "Required value", field: field)
    }

    static func invalid(_ field: String, _ value: String, _ detail: String) -> APIError.Cause {
        .init(type: "FieldValueInvalid", message: "Invalid value: \(value): \(detail)", field: field)
    }
}
