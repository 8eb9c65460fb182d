/// A request's query string decoded the way Go's `url.ParseQuery` does (`+` is a space).
struct QueryParameters: Sendable {
    private var values: [String: [String]] = [:]

    init(_ query: String?) {
        guard let query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            // Like Go's url.ParseQuery, a pair with an invalid escape is dropped.
            guard let key = Self.decode(parts[0]) else { continue }
            guard let value = parts.count > 1 ? Self.decode(parts[1]) : "" else { continue }
            values[key, default: []].append(value)
        }
    }

    subscript(_ key: String) -> String? { values[key]?.first }

    func all(_ key: String) -> [String] { values[key] ?? [] }

    /// Replaces (or with nil removes) a parameter, for requests re-targeted at another resource.
    mutating func set(_ key: String, _ value: String?) {
        values[key] = value.map { [$0] }
    }

    func bool(_ key: String) -> Bool? {
        guard let raw = self[key] else { return nil }
        switch raw.lowercased() {
        case "true", "1", "t": return true
        case "false", "0", "f", "": return false
        default: return nil
        }
    }

    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(), let h = hex(high), let l = hex(low) else {
                    return nil
                }
                bytes.append(h << 4 | l)
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
