#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Text ↔ bytes for IP addresses, as the cluster's objects hold them and DNS records carry them.
enum IPAddressText {
    /// The 4 bytes of an IPv4 address or the 16 of an IPv6 one; nil for anything else.
    static func bytes(_ text: String) -> [UInt8]? {
        // Plain byte buffers rather than in_addr/in6_addr, whose initializers several C modules declare.
        var buffer = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET, text, &buffer) == 1 { return Array(buffer.prefix(4)) }
        if inet_pton(AF_INET6, text, &buffer) == 1 { return buffer }
        return nil
    }

    /// The canonical text of 4 or 16 address bytes.
    static func text(_ bytes: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = bytes.count == 4 ? AF_INET : bytes.count == 16 ? AF_INET6 : -1
        guard family != -1 else { return nil }
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The address with "." and ":" turned into "-": upstream's name for a pod or an endpoint
    /// without a hostname ("10-42-0-5", "fd00--5").
    static func dashed(_ bytes: [UInt8]) -> String? {
        text(bytes).map { String($0.map { $0 == "." || $0 == ":" ? "-" : $0 }) }
    }

    /// Reads an address back from its dashed form: IPv4 with four parts, IPv6 otherwise.
    static func undashed(_ label: String) -> [UInt8]? {
        let parts = label.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 4, let v4 = bytes(parts.joined(separator: ".")), v4.count == 4 { return v4 }
        if let v6 = bytes(parts.joined(separator: ":")), v6.count == 16 { return v6 }
        return nil
    }

    /// The bytes named by a reverse-lookup name's labels below in-addr.arpa (4, least significant
    /// first) or ip6.arpa (32 nibbles); nil for a partial or malformed name.
    static func fromReverse(_ labels: [String], ipv6: Bool) -> [UInt8]? {
        if !ipv6 {
            guard labels.count == 4 else { return nil }
            var result: [UInt8] = []
            for label in labels.reversed() {
                guard let value = UInt8(label), String(value) == label else { return nil }
                result.append(value)
            }
            return result
        }
        guard labels.count == 32 else { return nil }
        var nibbles: [UInt8] = []
        for label in labels.reversed() {
            guard label.count == 1, let value = UInt8(label, radix: 16) else { return nil }
            nibbles.append(value)
        }
        return stride(from: 0, to: 32, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}
