import KyvernAPI

/// What a v1 Endpoints object mirrors to (upstream's mirroring `desiredCalc` over repacked
/// subsets): its endpoints grouped by ports, at most ``maxPerSubset`` addresses per group.
///
/// Subsets with the same ports merge first, as upstream's repacking does, and an address listed
/// both ready and not ready counts as ready, so one group is one subset and becomes one slice.
struct MirroredEndpoints: Sendable {
    /// Upstream's default `--mirroring-max-endpoints-per-subset`.
    static let maxPerSubset = 1000

    struct Group: Sendable {
        /// As they go into the slice's `ports`.
        var ports: [JSONValue]
        /// Sorted by address, then target uid.
        var endpoints: [JSONValue]
    }

    /// By ``EndpointSliceShape/portsKey(_:)``.
    var groups: [String: Group] = [:]
    /// Addresses that are not IP addresses (upstream's `InvalidIPAddress`).
    var invalidAddresses = 0
    /// Addresses left out, invalid ones included (upstream's `TooManyAddressesToMirror` when more than those).
    var skippedAddresses = 0

    init(endpoints: JSONValue, maxPerSubset: Int = MirroredEndpoints.maxPerSubset) {
        struct Pending {
            var ports: [JSONValue]
            var addresses: [String: (address: JSONValue, ready: Bool)] = [:]
        }
        var pending: [String: Pending] = [:]
        for subset in endpoints["subsets"]?.arrayValue ?? [] {
            let ports = (subset["ports"]?.arrayValue ?? []).map(Self.port)
            let key = EndpointSliceShape.portsKey(ports)
            var group = pending[key] ?? Pending(ports: ports)
            for (field, ready) in [("addresses", true), ("notReadyAddresses", false)] {
                for address in subset[field]?.arrayValue ?? [] {
                    let id = Self.addressKey(address)
                    if group.addresses[id]?.ready == true { continue }
                    group.addresses[id] = (address, ready)
                }
            }
            pending[key] = group
        }
        for (key, group) in pending {
            // Ready addresses first, as upstream walks them, each in address order.
            let ordered = group.addresses.sorted { a, b in
                a.value.ready != b.value.ready ? a.value.ready : a.key < b.key
            }
            var added: [(key: String, endpoint: JSONValue)] = []
            for (id, entry) in ordered {
                if added.count >= maxPerSubset { break }
                let ip = entry.address["ip"]?.stringValue ?? ""
                if ClusterCIDR.parseIPv4(ip) != nil {
                    added.append((id, Self.endpoint(entry.address, ready: entry.ready)))
                } else if !Self.isIPv6(ip) {
                    invalidAddresses += 1
                }
                // IPv6 addresses would go to an IPv6 slice upstream; only IPv4 is mirrored here.
            }
            skippedAddresses += group.addresses.count - added.count
            guard !added.isEmpty else { continue }
            groups[key] = Group(ports: group.ports, endpoints: added.sorted { $0.key < $1.key }.map(\.endpoint))
        }
    }

    /// An Endpoints port as a slice port: name (empty when unnamed), port, protocol, appProtocol.
    static func port(_ port: JSONValue) -> JSONValue {
        var result: [String: JSONValue] = [
            "name": .string(port["name"]?.stringValue ?? ""), "port": port["port"] ?? .int(0),
            "protocol": .string(port["protocol"]?.stringValue ?? "TCP"),
        ]
        if let appProtocol = port["appProtocol"] { result["appProtocol"] = appProtocol }
        return .object(result)
    }

    /// An Endpoints address as a slice endpoint (upstream's `addressToEndpoint`): only `ready`
    /// among the conditions, since Endpoints know nothing of serving or terminating.
    static func endpoint(_ address: JSONValue, ready: Bool) -> JSONValue {
        var endpoint: [String: JSONValue] = [
            "addresses": [.string(address["ip"]?.stringValue ?? "")], "conditions": ["ready": .bool(ready)],
        ]
        if let targetRef = address["targetRef"] { endpoint["targetRef"] = targetRef }
        if let node = address["nodeName"]?.stringValue, !node.isEmpty { endpoint["nodeName"] = .string(node) }
        if let hostname = address["hostname"]?.stringValue, !hostname.isEmpty { endpoint["hostname"] = .string(hostname) }
        return .object(endpoint)
    }

    /// Address then target uid, zero-padded so addresses sort numerically.
    static func addressKey(_ address: JSONValue) -> String {
        let ip = address["ip"]?.stringValue ?? ""
        let sortable = ClusterCIDR.parseIPv4(ip).map { value in
            String(repeating: "0", count: 10 - String(value).count) + String(value)
        } ?? ip
        return sortable + "|" + (address[path: ["targetRef", "uid"]]?.stringValue ?? "")
    }

    static func isIPv6(_ text: String) -> Bool {
        text.contains(":") && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
