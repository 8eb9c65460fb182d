import KyvernAPI

/// Upstream's defaults, filled in when an object is decoded for a write (create, update, patch),
/// so that what is stored and returned matches what an upstream server would store.
enum ObjectDefaults {
    static func apply(to object: inout JSONValue, info: ResourceInfo) {
        switch (info.group, info.resource) {
        default:
            break
        }
    }
}
