import KyvernAPI

/// The `subsets` of a Service's legacy v1 Endpoints (upstream's Endpoints controller followed by
/// `RepackSubsets`): every address with the ports its pod offers, then regrouped so that
/// addresses offering the same ports share one subset.
///
/// An address is ready when its pod is Ready (or the Service publishes not-ready addresses);
/// terminating pods are left out unless the Service publishes not-ready addresses. Within a
/// subset addresses are sorted by IP then pod uid and ports by name, port and protocol, and
/// subsets by their first address, so equal input gives byte-equal output.
enum EndpointSubsets {
    /// Upstream's cap on addresses in one Endpoints object; beyond it the object is truncated
    /// and annotated.
    static let maxCapacity = 1000

    private struct AddressEntry {
        var address: JSONValue
        var ready: Bool
        var sortKey: String
    }

    static func compute(service: ServiceFacts, pods: [JSONValue]) -> [JSONValue] {
        let publish = service.publishNotReadyAddresses
        // port key (or "" for a headless Service without ports) → address key → entry.
        var byPort: [String: (port: JSONValue?, addresses: [String: AddressEntry])] = [:]
        for pod in pods where PodEndpointFacts.belongsInEndpoints(pod, includeTerminating: publish) {
            guard let ip = PodEndpointFacts.ipv4Addresses(pod).first else { continue }
            var address: [String: JSONValue] = [
                "ip": .string(ip), "nodeName": .string(PodState.nodeName(pod)),
                "targetRef": ["kind": "Pod", "namespace": .string(pod.namespace ?? ""), "name": .string(pod.name ?? ""),
                              "uid": .string(pod.uid ?? "")],
            ]
            if let hostname = service.hostname(for: pod) { address["hostname"] = .string(hostname) }
            let ready = publish || PodState.isReady(pod)
            let entry = AddressEntry(address: .object(address), ready: ready, sortKey: sortKey(ip: ip, uid: pod.uid ?? ""))
            let addressKey = ip + "/" + (pod.uid ?? "")
            if service.ports.isEmpty {
                if service.clusterIP == "None" { add(entry, key: addressKey, port: nil, to: &byPort) }
                continue
            }
            for servicePort in service.ports {
                guard let number = PodEndpointFacts.targetPort(of: servicePort, in: pod) else { continue }
                var port: [String: JSONValue] = [
                    "port": .int(number), "protocol": .string(servicePort["protocol"]?.stringValue ?? "TCP"),
                ]
                if let name = servicePort["name"]?.stringValue, !name.isEmpty { port["name"] = .string(name) }
                if let appProtocol = servicePort["appProtocol"] { port["appProtocol"] = appProtocol }
                add(entry, key: addressKey, port: .object(port), to: &byPort)
            }
        }
        // Ports offered by exactly the same addresses (with the same readiness) share a subset.
        var subsets: [String: (ports: [JSONValue], addresses: [AddressEntry])] = [:]
        for (_, group) in byPort {
            let entries = group.addresses.values.sorted { $0.sortKey < $1.sortKey }
            let signature = entries.map { "\($0.sortKey)=\($0.ready)" }.joined(separator: ",")
            subsets[signature, default: ([], entries)].ports += group.port.map { [$0] } ?? []
        }
        return subsets.values.map { subset -> (first: String, ports: String, value: JSONValue) in
            var object: [String: JSONValue] = [:]
            let ready = subset.addresses.filter(\.ready).map(\.address)
            let notReady = subset.addresses.filter { !$0.ready }.map(\.address)
            if !ready.isEmpty { object["addresses"] = .array(ready) }
            if !notReady.isEmpty { object["notReadyAddresses"] = .array(notReady) }
            let ports = subset.ports.sorted { portSortKey($0) < portSortKey($1) }
            if !ports.isEmpty { object["ports"] = .array(ports) }
            return (subset.addresses.first?.sortKey ?? "", ports.map(portSortKey).joined(separator: ","), .object(object))
        }
        .sorted { ($0.first, $0.ports) < ($1.first, $1.ports) }
        .map(\.value)
    }

    private static func add(_ entry: AddressEntry, key: String, port: JSONValue?,
                            to byPort: inout [String: (port: JSONValue?, addresses: [String: AddressEntry])]) {
        let portKey = port.map { portSortKey($0) } ?? ""
        var group = byPort[portKey] ?? (port, [:])
        // Ready wins when the same address turns up both ways.
        if let existing = group.addresses[key], existing.ready { return }
        group.addresses[key] = entry
        byPort[portKey] = group
    }

    /// IPs compare numerically (10.0.0.9 before 10.0.0.10), then by pod uid.
    private static func sortKey(ip: String, uid: String) -> String {
        let octets = ip.split(separator: ".").map { String(repeating: "0", count: max(0, 3 - $0.count)) + $0 }
        return octets.joined(separator: ".") + "/" + uid
    }

    private static func portSortKey(_ port: JSONValue) -> String {
        let number = String(port["port"]?.intValue ?? 0)
        return [port["name"]?.stringValue ?? "", String(repeating: "0", count: max(0, 5 - number.count)) + number,
                port["protocol"]?.stringValue ?? ""].joined(separator: "/")
    }

    /// Number of addresses (ready and not) across `subsets`.
    static func count(_ subsets: [JSONValue]) -> Int {
        subsets.reduce(0) { $0 + ($1["addresses"]?.arrayValue?.count ?? 0) + ($1["notReadyAddresses"]?.arrayValue?.count ?? 0) }
    }

    /// Cuts `subsets` to ``maxCapacity`` addresses as upstream does: each subset keeps its share,
    /// ready addresses first (not-ready ones go before any ready one is dropped). Returns nil when
    /// nothing had to go.
    static func truncated(_ subsets: [JSONValue]) -> [JSONValue]? {
        let totalReady = subsets.reduce(0) { $0 + ($1["addresses"]?.arrayValue?.count ?? 0) }
        let totalNotReady = count(subsets) - totalReady
        guard totalReady + totalNotReady > maxCapacity else { return nil }
        let truncateReady = totalReady > maxCapacity
        let limit = truncateReady ? maxCapacity : maxCapacity - totalReady
        let total = truncateReady ? totalReady : totalNotReady
        var canBeAdded = limit
        return subsets.map { subset in
            var subset = subset
            let field = truncateReady ? "addresses" : "notReadyAddresses"
            let list = subset[field]?.arrayValue ?? []
            let share = Int((Double(list.count) / Double(total) * Double(limit)).rounded(.up))
            let keep = min(share, canBeAdded, list.count)
            subset[field] = list.isEmpty ? nil : .array(Array(list.prefix(keep)))
            if truncateReady { subset["notReadyAddresses"] = nil }
            canBeAdded -= keep
            return subset
        }
    }
}
