/// A domain name as its wire labels, compared case-insensitively (RFC 4343) as resolvers do.
///
/// Labels keep their original bytes so an answer repeats the question's spelling; equality and
/// hashing use the ASCII-lowercased form.
package struct DNSName: Sendable, Hashable, CustomStringConvertible {
    /// The labels from the leftmost (most specific) to the rightmost, without the empty root label.
    package var labels: [[UInt8]]

    package static let root = DNSName(labels: [])
    /// RFC 1035's limits: a label of at most 63 bytes, a name of at most 255 on the wire.
    package static let maxLabelLength = 63
    package static let maxWireLength = 255

    package init(labels: [[UInt8]]) {
        self.labels = labels
    }

    /// Parses dotted text ("web.default.svc.cluster.local", with or without the final dot);
    /// nil when a label is empty or too long, or the name too long.
    package init?(_ text: String) {
        var text = Substring(text)
        if text.hasSuffix(".") { text = text.dropLast() }
        if text.isEmpty {
            self.labels = []
            return
        }
        var labels: [[UInt8]] = []
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            let bytes = Array(part.utf8)
            guard !bytes.isEmpty, bytes.count <= Self.maxLabelLength else { return nil }
            labels.append(bytes)
        }
        self.labels = labels
        guard wireLength <= Self.maxWireLength else { return nil }
    }

    /// Bytes on the wire without compression: a length byte per label, the labels, the root byte.
    package var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    /// The labels lowercased, as text, for matching against cluster names.
    package var lowercasedLabels: [String] {
        labels.map { String(decoding: $0.map(Self.lower), as: UTF8.self) }
    }

    /// Whether `self` is `zone` or lies below it.
    package func isSubdomain(of zone: DNSName) -> Bool {
        guard labels.count >= zone.labels.count else { return false }
        return DNSName(labels: Array(labels.suffix(zone.labels.count))) == zone
    }

    /// The labels left of `zone` (which `self` must be a subdomain of).
    package func labels(below zone: DNSName) -> [[UInt8]] {
        Array(labels.prefix(labels.count - zone.labels.count))
    }

    /// `label` followed by this name.
    package func prepending(_ label: String) -> DNSName {
        DNSName(labels: [Array(label.utf8)] + labels)
    }

    /// "web.default.svc.cluster.local." with non-printable bytes escaped as \DDD (RFC 4343).
    package var description: String {
        if labels.isEmpty { return "." }
        var text = ""
        for label in labels {
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    text += "\\" + String(UnicodeScalar(byte))
                case 0x21...0x7E:
                    text.unicodeScalars.append(UnicodeScalar(byte))
                default:
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
        }
        return text
    }

    package static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        guard lhs.labels.count == rhs.labels.count else { return false }
        for (a, b) in zip(lhs.labels, rhs.labels) {
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where lower(x) != lower(y) { return false }
        }
        return true
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(labels.count)
        for label in labels {
            hasher.combine(label.count)
            for byte in label { hasher.combine(Self.lower(byte)) }
        }
    }

    static func lower(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
