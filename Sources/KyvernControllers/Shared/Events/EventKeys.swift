import KyvernAPI

/// The keys upstream's event correlator groups core/v1 Events by. Fields are joined with a
/// separator no field contains, so two different events never share a key by concatenation.
enum EventKeys {
    private static func join(_ parts: [String]) -> String { parts.joined(separator: "\u{1F}") }

    private static func involved(_ event: JSONValue, _ field: String) -> String {
        event[path: ["involvedObject", field]]?.stringValue ?? ""
    }

    private static func source(_ event: JSONValue) -> [String] {
        [event[path: ["source", "component"]]?.stringValue ?? "", event[path: ["source", "host"]]?.stringValue ?? ""]
    }

    private static func object(_ event: JSONValue) -> [String] {
        [involved(event, "kind"), involved(event, "namespace"), involved(event, "name"), involved(event, "uid"),
         involved(event, "apiVersion")]
    }

    /// Identical events (same source, object, type, reason and message) share this key: a repeat
    /// raises the existing Event's count instead of writing a new one.
    static func event(_ event: JSONValue) -> String {
        join(source(event) + object(event) + [involved(event, "fieldPath"), event["type"]?.stringValue ?? "",
                                              event["reason"]?.stringValue ?? "", event["message"]?.stringValue ?? ""])
    }

    /// Similar events (identical but for the message) share this key; the message is the local key
    /// counted within it.
    static func aggregate(_ event: JSONValue) -> (aggregate: String, local: String) {
        let key = join(source(event) + object(event) + [
            event["type"]?.stringValue ?? "", event["reason"]?.stringValue ?? "",
            event["reportingComponent"]?.stringValue ?? "", event["reportingInstance"]?.stringValue ?? "",
        ])
        return (key, event["message"]?.stringValue ?? "")
    }

    /// One spam budget per source and involved object, whatever the reason.
    static func spam(_ event: JSONValue) -> String {
        join(source(event) + object(event))
    }
}
