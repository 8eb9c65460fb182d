/// The Services and EndpointSlices of the cluster as DNS sees them, indexed for lookups by name
/// and by address. A value: the informers' handlers change it, each query reads a snapshot.
package struct ClusterDNSState: Sendable {
    package struct Key: Sendable, Hashable {
        package var namespace: String
        package var name: String
        package init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }
    }

    private(set) var services: [Key: ClusterServiceEntry] = [:]
    private(set) var slices: [Key: ClusterEndpointSliceEntry] = [:]
    /// Slice keys by their Service's key.
    private var slicesByService: [Key: Set<Key>] = [:]
    /// How many Services each namespace holds (a namespace name answers NODATA, not NXDOMAIN, while it has some).
    private var servicesPerNamespace: [String: Int] = [:]
    /// Bumped by every change; the SOA serial.
    private(set) var generation: UInt32 = 1

    package init() {}

    package mutating func upsert(_ service: ClusterServiceEntry) {
        let key = Key(namespace: service.namespace, name: service.name)
        if services.updateValue(service, forKey: key) == nil { servicesPerNamespace[service.namespace, default: 0] += 1 }
        generation &+= 1
    }

    package mutating func removeService(namespace: String, name: String) {
        if services.removeValue(forKey: Key(namespace: namespace, name: name)) != nil {
            servicesPerNamespace[namespace, default: 1] -= 1
            if servicesPerNamespace[namespace] == 0 { servicesPerNamespace[namespace] = nil }
        }
        generation &+= 1
    }

    package mutating func upsert(_ slice: ClusterEndpointSliceEntry) {
        let key = Key(namespace: slice.namespace, name: slice.name)
        if let old = slices[key] { unindex(key, service: old.serviceName) }
        slices[key] = slice
        slicesByService[Key(namespace: slice.namespace, name: slice.serviceName), default: []].insert(key)
        generation &+= 1
    }

    package mutating func removeSlice(namespace: String, name: String) {
        let key = Key(namespace: namespace, name: name)
        if let old = slices.removeValue(forKey: key) { unindex(key, service: old.serviceName) }
        generation &+= 1
    }

    private mutating func unindex(_ key: Key, service: String) {
        let serviceKey = Key(namespace: key.namespace, name: service)
        slicesByService[serviceKey]?.remove(key)
        if slicesByService[serviceKey]?.isEmpty == true { slicesByService[serviceKey] = nil }
    }

    // MARK: reads

    package func service(namespace: String, name: String) -> ClusterServiceEntry? {
        services[Key(namespace: namespace, name: name)]
    }

    package func hasServices(inNamespace namespace: String) -> Bool {
        servicesPerNamespace[namespace] != nil
    }

    /// The Service's slices, in name order so answers are stable.
    package func slices(ofService namespace: String, _ name: String) -> [ClusterEndpointSliceEntry] {
        (slicesByService[Key(namespace: namespace, name: name)] ?? [])
            .sorted { $0.name < $1.name }.compactMap { slices[$0] }
    }

    /// Every Service and slice, for reverse lookups (a scan: PTR queries are rare).
    package var allServices: Dictionary<Key, ClusterServiceEntry>.Values { services.values }
    package var allSlices: Dictionary<Key, ClusterEndpointSliceEntry>.Values { slices.values }
}
