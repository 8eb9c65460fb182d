/// A record type (RFC 1035 §3.2.2 and later RFCs) as its 16-bit code, so unknown types pass
/// through forwarding and appear in logs by number.
package struct DNSRecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    package var rawValue: UInt16
    package init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The types with a mnemonic, each code once: the case is the mnemonic in lower case.
    enum Mnemonic: UInt16 {
        case a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16, aaaa = 28, srv = 33, opt = 41
        case https = 65, any = 255

        var name: String { "\(self)".uppercased() }
    }

    init(_ mnemonic: Mnemonic) { self.init(rawValue: mnemonic.rawValue) }

    package static let a = DNSRecordType(.a)
    package static let ns = DNSRecordType(.ns)
    package static let cname = DNSRecordType(.cname)
    package static let soa = DNSRecordType(.soa)
    package static let ptr = DNSRecordType(.ptr)
    package static let mx = DNSRecordType(.mx)
    package static let txt = DNSRecordType(.txt)
    package static let aaaa = DNSRecordType(.aaaa)
    package static let srv = DNSRecordType(.srv)
    package static let opt = DNSRecordType(.opt)
    package static let any = DNSRecordType(.any)

    /// "A", "SRV", … or "TYPE<n>" (RFC 3597) for the rest.
    package var description: String { Mnemonic(rawValue: rawValue)?.name ?? "TYPE\(rawValue)" }

    /// The label for metrics: a known name or "other", so clients cannot grow the series.
    package var metricLabel: String { Mnemonic(rawValue: rawValue)?.name ?? "other" }
}

/// The 4-bit response code of the header (RFC 1035 §4.1.1, RFC 6895).
package struct DNSResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    package var rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    package static let noError = DNSResponseCode(rawValue: 0)
    package static let formatError = DNSResponseCode(rawValue: 1)
    package static let serverFailure = DNSResponseCode(rawValue: 2)
    package static let nameError = DNSResponseCode(rawValue: 3)
    package static let notImplemented = DNSResponseCode(rawValue: 4)
    package static let refused = DNSResponseCode(rawValue: 5)

    package var description: String {
        switch rawValue {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        default: "RCODE\(rawValue)"
        }
    }
}

/// Record classes; Kyvern's zone answers only IN.
package enum DNSClass {
    package static let internet: UInt16 = 1
}
