package import KyvernAPI

/// Joins Services and EndpointSlices (as an informer cache holds them) into the rule builder's
/// entries: every programmable Service port with the merged endpoints of its slices.
package enum ProxySnapshot {
    package static func entries(services: [JSONValue], slices: [JSONValue]) -> [RuleBuilder.Entry] {
        var slicesByService: [String: [JSONValue]] = [:]
        for slice in slices {
            guard let namespace = slice.namespace,
                  let service = slice.labels[EndpointSliceMerge.serviceNameLabel] else { continue }
            slicesByService[namespace + "/" + service, default: []].append(slice)
        }
        var entries: [RuleBuilder.Entry] = []
        for service in services {
            let ports = ServicePortSpec.ports(of: service)
            guard !ports.isEmpty else { continue }
            let own = slicesByService[(service.namespace ?? "") + "/" + (service.name ?? "")] ?? []
            for port in ports {
                entries.append(RuleBuilder.Entry(port: port, endpoints: EndpointSliceMerge.endpoints(for: port, slices: own)))
            }
        }
        return entries.sorted { ($0.port.name, $0.port.proto) < ($1.port.name, $1.port.proto) }
    }
}
