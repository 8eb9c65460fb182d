package import KyvernAPI

/// Merges the EndpointSlices of one Service into the endpoints of each of its ports.
///
/// A Service may have several slices (the controller splits large ones, a user may add
/// their own); an address listed in more than one is kept once, preferring a ready copy, then
/// the one from the slice whose name sorts first. Only IPv4 slices are read.
package enum EndpointSliceMerge {
    /// The label tying a slice to its Service.
    package static let serviceNameLabel = "kubernetes.io/service-name"

    /// Endpoints of `port` from `slices` (the Service's slices, any order), sorted.
    package static func endpoints(for port: ServicePortSpec, slices: [JSONValue]) -> [ProxyEndpoint] {
        var chosen: [String: ProxyEndpoint] = [:]
        let ordered = slices.sorted { ($0.name ?? "") < ($1.name ?? "") }
        for slice in ordered where (slice["addressType"]?.stringValue ?? "IPv4") == "IPv4" {
            guard let number = portNumber(in: slice, name: port.name.port, proto: port.proto) else { continue }
            for endpoint in slice["endpoints"]?.arrayValue ?? [] {
                // upstream uses the first address; the API allows exactly one for pods.
                guard let ip = endpoint["addresses"]?.arrayValue?.first?.stringValue else { continue }
                let conditions = endpoint["conditions"]
                // Absent `ready` means unknown, which consumers treat as ready; absent `serving`
                // follows `ready`.
                let ready = conditions?["ready"]?.boolValue ?? true
                let candidate = ProxyEndpoint(
                    ip: ip, port: number, ready: ready, serving: conditions?["serving"]?.boolValue ?? ready,
                    terminating: conditions?["terminating"]?.boolValue ?? false,
                    nodeName: endpoint["nodeName"]?.stringValue)
                let key = candidate.description
                if let existing = chosen[key], existing.ready || !candidate.ready { continue }
                chosen[key] = candidate
            }
        }
        return chosen.values.sorted()
    }

    /// The number of the slice port matching the Service port by name and protocol.
    static func portNumber(in slice: JSONValue, name: String, proto: ProxyProtocol) -> Int? {
        for port in slice["ports"]?.arrayValue ?? [] {
            let portName = port["name"]?.stringValue ?? ""
            guard portName == name, ProxyProtocol(apiValue: port["protocol"]?.stringValue) == proto,
                  let number = port["port"]?.intValue else { continue }
            return Int(number)
        }
        return nil
    }
}
