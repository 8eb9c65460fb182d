public import KyvernAPI

/// One event of a watch, as the server sends it.
public enum WatchEvent: Sendable, Hashable {
    case added(JSONValue)
    case modified(JSONValue)
    case deleted(JSONValue)
    /// Carries only `metadata.resourceVersion`: the point a re-watch can resume from.
    case bookmark(JSONValue)
    /// A `Status` the server sent in the stream (other than 410, which ends the stream as
    /// ``WatchError/expired(_:)``).
    case error(APIError)

    /// The object of an added/modified/deleted/bookmark event.
    public var object: JSONValue? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o), .bookmark(let o): o
        case .error: nil
        }
    }
}

/// Failures specific to watching.
public enum WatchError: Error, Sendable, Hashable {
    /// The requested resourceVersion is older than the server keeps (410 Gone, reason Expired):
    /// the watcher must list again and watch from the list's resourceVersion.
    case expired(APIError)
    /// A line of the stream was not a watch event.
    case malformedEvent(String)
}

extension WatchEvent {
    /// Decodes one line of the stream, `{"type":"ADDED","object":{...}}`.
    ///
    /// Throws ``WatchError/expired(_:)`` for an ERROR event whose Status has code 410.
    public static func decode(line: some Collection<UInt8>) throws -> WatchEvent {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            throw WatchError.malformedEvent("not JSON: \(error)")
        }
        guard let type = value["type"]?.stringValue else { throw WatchError.malformedEvent("event has no type") }
        guard let object = value["object"], object.objectValue != nil else {
            throw WatchError.malformedEvent("\(type) event has no object")
        }
        switch type {
        case "ADDED": return .added(object)
        case "MODIFIED": return .modified(object)
        case "DELETED": return .deleted(object)
        case "BOOKMARK": return .bookmark(object)
        case "ERROR":
            let status = StatusMapping.error(fromStatus: object)
                ?? APIError(code: 500, reason: "InternalError", message: "watch ERROR event without a Status")
            if status.code == 410 { throw WatchError.expired(status) }
            return .error(status)
        default:
            throw WatchError.malformedEvent("unknown event type \(type)")
        }
    }
}
