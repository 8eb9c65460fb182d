import Foundation

/// The addresses `--lb-address-pool` hands to LoadBalancer Services, one per Service: CIDRs
/// (`192.168.50.0/29`), ranges (`192.168.50.10-192.168.50.20`) and single addresses, in the
/// order given. A CIDR wider than /31 leaves out its network and broadcast addresses, which no
/// host can answer on.
public struct LoadBalancerAddressPool: Sendable, Equatable {
    /// Inclusive address ranges, in the order given.
    let ranges: [ClosedRange<UInt32>]

    /// Parses comma-separated entries; throws naming the first entry that is none of the three forms.
    public init(_ entries: [String]) throws(LoadBalancerPoolError) {
        var ranges: [ClosedRange<UInt32>] = []
        for raw in entries.flatMap({ $0.split(separator: ",") }) {
            let entry = raw.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            ranges.append(try Self.parse(entry))
        }
        self.ranges = ranges
    }

    /// Whether nothing was configured: Services then get the nodes' addresses.
    public var isEmpty: Bool { ranges.isEmpty }

    public func contains(_ address: String) -> Bool {
        guard let value = ClusterCIDR.parseIPv4(address) else { return false }
        return ranges.contains { $0.contains(value) }
    }

    /// The first address of the pool not in `taken`, or nil when every one is.
    func firstFree(excluding taken: Set<String>) -> String? {
        for range in ranges {
            var value = range.lowerBound
            while true {
                let text = ClusterCIDR.format(value)
                if !taken.contains(text) { return text }
                if value == range.upperBound { break }
                value += 1
            }
        }
        return nil
    }

    static func parse(_ entry: String) throws(LoadBalancerPoolError) -> ClosedRange<UInt32> {
        if let slash = entry.firstIndex(of: "/") {
            guard let base = ClusterCIDR.parseIPv4(String(entry[..<slash])),
                  let bits = UInt32(entry[entry.index(after: slash)...]), bits <= 32 else {
                throw LoadBalancerPoolError(entry: entry, reason: "not a valid IPv4 CIDR")
            }
            let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
            guard base & ~mask == 0 else {
                throw LoadBalancerPoolError(entry: entry, reason: "host bits are set (the network is \(ClusterCIDR.format(base & mask))/\(bits))")
            }
            let last = base | ~mask
            return bits < 31 ? (base + 1)...(last - 1) : base...last
        }
        if let dash = entry.firstIndex(of: "-") {
            guard let first = ClusterCIDR.parseIPv4(String(entry[..<dash]).trimmingCharacters(in: .whitespaces)),
                  let last = ClusterCIDR.parseIPv4(String(entry[entry.index(after: dash)...]).trimmingCharacters(in: .whitespaces)) else {
                throw LoadBalancerPoolError(entry: entry, reason: "not a valid IPv4 range")
            }
            guard first <= last else { throw LoadBalancerPoolError(entry: entry, reason: "the range ends before it starts") }
            return first...last
        }
        guard let single = ClusterCIDR.parseIPv4(entry) else {
            throw LoadBalancerPoolError(entry: entry, reason: "not an IPv4 address, range or CIDR")
        }
        return single...single
    }
}

/// A `--lb-address-pool` entry that could not be read.
public struct LoadBalancerPoolError: Error, Equatable, CustomStringConvertible {
    public let entry: String
    public let reason: String
    public var description: String { "invalid --lb-address-pool entry \"\(entry)\": \(reason)" }
}
