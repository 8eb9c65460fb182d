import KyvernAPI

/// The fields a core/v1 Event always carries upstream (plain structs, non-omitempty strings and
/// a null `eventTime`), so an event written through core/v1 looks like one converted from
/// events.k8s.io/v1 (see `EventConversion`).
enum EventDefaults {
    static func event(_ event: inout JSONValue) {
        event.defaultValue("involvedObject", [:])
        event.defaultValue("source", [:])
        event.defaultValue("reportingComponent", "")
        event.defaultValue("reportingInstance", "")
        event.defaultValue("eventTime", .null)
    }
}
