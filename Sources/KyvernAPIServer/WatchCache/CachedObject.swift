public import KyvernAPI

/// An object as the API serves it: decoded once and encoded once per revision, so lists and
/// watches copy bytes instead of re-encoding thousands of objects per request.
public struct CachedObject: Sendable {
    public var key: String
    /// The object with `metadata.resourceVersion` set to `modRevision`.
    public var object: JSONValue
    /// `object` serialized.
    public var bytes: [UInt8]
    public var modRevision: Int64

    public init(key: String, object: JSONValue, bytes: [UInt8], modRevision: Int64) {
        self.key = key
        self.object = object
        self.bytes = bytes
        self.modRevision = modRevision
    }

    /// Decodes a stored value and stamps it with the revision it was written at.
    public static func decode(key: String, value: [UInt8], revision: Int64) throws -> CachedObject {
        var object = try JSONValue.parse(value)
        object[path: ["metadata", "resourceVersion"]] = .string(String(revision))
        return CachedObject(key: key, object: object, bytes: object.serialized(), modRevision: revision)
    }

    /// The same object stamped with another revision (a delete's revision for DELETED events).
    public func restamped(_ revision: Int64) -> CachedObject {
        var object = object
        object[path: ["metadata", "resourceVersion"]] = .string(String(revision))
        return CachedObject(key: key, object: object, bytes: object.serialized(), modRevision: revision)
    }
}

/// The kind of a watch event, as the Kubernetes watch protocol spells it.
public enum WatchEventType: String, Sendable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// One change to one object, as the watch cache records it.
public struct CacheEvent: Sendable {
    public var type: WatchEventType
    /// The new state (for DELETED: the last state, stamped with the delete's revision).
    public var object: CachedObject
    /// The state before the change (nil for ADDED).
    public var previous: CachedObject?
    public var revision: Int64 { object.modRevision }
    public var key: String { object.key }
}
