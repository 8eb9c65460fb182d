public import KyvernAPI

/// What an informer's handlers are told: an object appeared, changed, or went away.
///
/// A resync re-delivers every cached object as `updated(old: x, new: x)`, so handlers that
/// reconcile on updates also revisit objects whose earlier reconcile failed silently.
public enum InformerEvent: Sendable, Hashable {
    case added(JSONValue)
    case updated(old: JSONValue, new: JSONValue)
    /// The object's last state (from the watch's DELETED event, or the cache when a re-list
    /// found it gone).
    case deleted(JSONValue)

    /// The object as it is now (the last state for `deleted`).
    public var object: JSONValue {
        switch self {
        case .added(let o), .deleted(let o): o
        case .updated(_, let new): new
        }
    }
}
