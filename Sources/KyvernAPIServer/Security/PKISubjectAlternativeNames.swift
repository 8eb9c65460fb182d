import SwiftASN1
import X509

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The normalized DNS names and IP addresses a certificate is valid for.
///
/// DNS names are lower-cased; IP addresses are kept as their 4 or 16 network-order bytes, so
/// `::1` and `0:0:0:0:0:0:0:1` are the same address. I/O-free apart from `inet_pton`.
struct PKISubjectAlternativeNames: Hashable, Sendable {
    /// Names every API server certificate carries: what in-cluster clients and kubectl use.
    static let defaultAPIServerDNSNames = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ]
    static let defaultAPIServerIPAddresses = ["127.0.0.1", "::1"]

    private(set) var dnsNames: [String] = []
    private(set) var ipAddresses: [[UInt8]] = []

    init() {}

    /// Builds the set from text. A "hostname" that parses as an IP address is taken as an IP.
    init(dnsNames: [String], ipAddresses: [String]) throws {
        for name in dnsNames {
            try self.insert(hostname: name)
        }
        for address in ipAddresses {
            let trimmed = address.trimmingASCIIWhitespace()
            guard let bytes = Self.parseIPAddress(trimmed) else {
                throw ClusterPKIError(.invalidIPAddress, "\"\(address)\" is not an IPv4 or IPv6 address")
            }
            self.insert(ipBytes: bytes)
        }
    }

    /// Reads the subject alternative names of an existing certificate.
    init(of certificate: Certificate) throws {
        guard let names = try certificate.extensions.subjectAlternativeNames else { return }
        for name in names {
            switch name {
            case .dnsName(let dns):
                self.insert(dnsName: dns.lowercased())
            case .ipAddress(let octets):
                self.insert(ipBytes: Array(octets.bytes))
            default:
                continue
            }
        }
    }

    mutating func insert(hostname: String) throws {
        let trimmed = hostname.trimmingASCIIWhitespace()
        if let bytes = Self.parseIPAddress(trimmed) {
            self.insert(ipBytes: bytes)
            return
        }
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw ClusterPKIError(.invalidHostname, "\"\(hostname)\" is not a valid DNS name")
        }
        self.insert(dnsName: trimmed.lowercased())
    }

    private mutating func insert(dnsName: String) {
        if !self.dnsNames.contains(dnsName) {
            self.dnsNames.append(dnsName)
        }
    }

    private mutating func insert(ipBytes: [UInt8]) {
        if !self.ipAddresses.contains(ipBytes) {
            self.ipAddresses.append(ipBytes)
        }
    }

    /// Whether every name and address of `other` is also in `self`.
    func contains(_ other: PKISubjectAlternativeNames) -> Bool {
        other.dnsNames.allSatisfy(self.dnsNames.contains) && other.ipAddresses.allSatisfy(self.ipAddresses.contains)
    }

    /// Names of `other` missing from `self`, as text, for log messages.
    func missing(from other: PKISubjectAlternativeNames) -> [String] {
        other.dnsNames.filter { !self.dnsNames.contains($0) }
            + other.ipAddresses.filter { !self.ipAddresses.contains($0) }.map(Self.formatIPAddress)
    }

    /// The X.509 extension value.
    var generalNames: SubjectAlternativeNames {
        SubjectAlternativeNames(
            self.dnsNames.map { GeneralName.dnsName($0) }
                + self.ipAddresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
        )
    }

    /// Parses dotted-quad IPv4 or IPv6 text (brackets allowed) into network-order bytes.
    static func parseIPAddress(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") {
            text = String(text.dropFirst().dropLast())
        }
        if !text.contains(":") {
            var v4 = [UInt8](repeating: 0, count: 4)
            let ok = v4.withUnsafeMutableBytes { inet_pton(AF_INET, text, $0.baseAddress) }
            return ok == 1 ? v4 : nil
        }
        var v6 = [UInt8](repeating: 0, count: 16)
        let ok = v6.withUnsafeMutableBytes { inet_pton(AF_INET6, text, $0.baseAddress) }
        return ok == 1 ? v6 : nil
    }

    /// Formats 4 or 16 network-order bytes as IP text.
    static func formatIPAddress(_ bytes: [UInt8]) -> String {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: 64)
        let result = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard result != nil else { return bytes.map { String($0, radix: 16) }.joined(separator: ":") }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    fileprivate func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

extension PKISubjectAlternativeNames {
    /// This machine's host name, as `gethostname(2)` reports it; nil if it is unset.
    static func localHostName() -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
        let length = buffer.firstIndex(of: 0) ?? buffer.count
        let name = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? nil : name
    }
}
