/// Percent-encoding for URL paths and query strings, kept here so the client needs no URL type to
/// build request targets and tests can check the exact bytes sent.
enum QueryString {
    /// RFC 3986 unreserved characters travel as they are; everything else is %XX-encoded.
    static func escape(_ value: String, keeping extra: Set<UInt8> = []) -> String {
        var out = ""
        for byte in value.utf8 {
            let isUnreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
            if isUnreserved || extra.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    static func escapePathSegment(_ value: String) -> String {
        // ':' '@' and sub-delims are legal in a segment; '/' is not.
        escape(value, keeping: Set(":@!$&'()*+,;=".utf8))
    }

    /// `a=1&b=x%3Dy`, in the given order; empty when there are no items.
    static func encode(_ items: [(String, String)]) -> String {
        items.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }
}
