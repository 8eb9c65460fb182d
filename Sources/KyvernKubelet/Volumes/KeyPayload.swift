import KyvernAPI

/// The files of a configMap or secret volume (or projection): every key, or only the `items`
/// mapped to their paths, with upstream's rules for missing keys and modes.
enum KeyPayload {
    /// `items` from the volume source; `optional` lets missing keys be skipped instead of failing.
    static func make(items: [JSONValue], data: ConfigSourceData, kind: ConfigSourceReader.Kind,
                     defaultMode: UInt32, optional: Bool) throws(PayloadError) -> Payload {
        var payload: Payload = [:]
        if items.isEmpty {
            for (key, bytes) in data.bytes { payload[key] = FileProjection(data: bytes, mode: defaultMode) }
            return payload
        }
        for item in items {
            let key = item["key"]?.stringValue ?? ""
            guard let bytes = data.bytes[key] else {
                if optional { continue }
                switch kind {
                case .configMap: throw PayloadError("configmap references non-existent config key: \(key)")
                case .secret: throw PayloadError("references non-existent secret key: \(key)")
                }
            }
            let path = item["path"]?.stringValue ?? key
            payload[path] = FileProjection(data: bytes, mode: FileProjection.mode(item["mode"]?.intValue, default: defaultMode))
        }
        return payload
    }
}

/// A volume's contents cannot be computed (upstream's message).
struct PayloadError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
