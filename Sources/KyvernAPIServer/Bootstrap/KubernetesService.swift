import Foundation
import KyvernAPI
import KyvernStore
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The `kubernetes` Service in `default`: the first address of the service range, pointing at
/// the API servers, so pods reach the API as `kubernetes.default.svc` on 443. Its Endpoints and
/// EndpointSlice name every live API server (see `APIServerLeases`), re-written on each renewal.
enum KubernetesService {
    static let name = "kubernetes"
    static let namespace = "default"

    /// Creates or re-points the Service, its Endpoints and its EndpointSlice (idempotent).
    static func ensure(storage: ObjectStorage, allocator: ServiceAllocator, leases: APIServerLeases,
                       address: String, port: Int) async throws {
        try await ensureService(storage: storage, allocator: allocator, port: port)
        try await leases.renew(address: address, port: port)
        var members = try await leases.live()
        let this = APIServerLeases.Member(address: address, port: port)
        if !members.contains(this) { members = (members + [this]).sorted() }
        try await ensure(storage: storage, resource: ("", "v1", "endpoints"), object: endpoints(members: members))
        try await ensure(storage: storage, resource: ("discovery.k8s.io", "v1", "endpointslices"),
                         object: endpointSlice(members: members))
    }

    /// Re-asserts the Service and its endpoints every `interval` (upstream's reconciler runs every
    /// 10 seconds), so a deleted or edited `kubernetes` Service comes back.
    /// On cancellation (shutdown) this server's lease record is removed and the endpoints
    /// re-written without it.
    static func maintain(storage: ObjectStorage, allocator: ServiceAllocator, leases: APIServerLeases,
                         address: String, port: Int, interval: Duration = .seconds(10), logger: Logger) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { break }
            do {
                try await ensure(storage: storage, allocator: allocator, leases: leases, address: address, port: port)
            } catch {
                logger.warning("could not reconcile the kubernetes Service", metadata: ["error": "\(error)"])
            }
        }
        // In a task of its own: this one is cancelled, and a cancelled task's store calls fail at once.
        await Task {
            await leases.remove(address: address, port: port)
            if let members = try? await leases.live(), !members.isEmpty {
                try? await ensure(storage: storage, resource: ("", "v1", "endpoints"), object: endpoints(members: members))
                try? await ensure(storage: storage, resource: ("discovery.k8s.io", "v1", "endpointslices"),
                                  object: endpointSlice(members: members))
            }
        }.value
    }

    /// The address the API server is reached at: the bind address, or for a wildcard bind the
    /// first non-loopback IPv4 address of this host (127.0.0.1 when there is none).
    static func advertisedAddress(bindAddress: String) -> String {
        if let parsed = IPv4CIDR.parseAddress(bindAddress), parsed != 0 { return bindAddress }
        return firstNonLoopbackIPv4() ?? "127.0.0.1"
    }

    static func servicePorts(port: Int) -> JSONValue {
        [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(Int64(port))]]
    }

    private static func ensureService(storage: ObjectStorage, allocator: ServiceAllocator, port: Int) async throws {
        let info = ResourceCatalog.find(group: "", version: "v1", resource: "services")!
        let key = StorageKeys.key(info, namespace: namespace, name: name)
        if let existing = try await storage.read(key: key) {
            // Follow a changed API server port; the repair re-asserts its reservation.
            if existing.object[path: ["spec", "ports"]] != servicePorts(port: port) {
                _ = try await storage.update(info, key: key, name: name) { current in
                    var updated = current
                    updated[path: ["spec", "ports"]] = servicePorts(port: port)
                    return updated
                }
            }
            return
        }
        var service: JSONValue = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace), "uid": .string(UUID().uuidString.lowercased()),
                "creationTimestamp": .string(Timestamp.format(Date())),
                "labels": ["component": "apiserver", "provider": "kubernetes"],
            ],
            "spec": [
                "ports": servicePorts(port: port),
                "clusterIP": .string(allocator.ranges.kubernetesServiceIP),
                "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
            ],
            "status": ["loadBalancer": [:]],
        ]
        // Another server on the same store may create it at the same moment: its address is then
        // taken (422) or the Service exists (409); either way it is there now.
        let transaction: ServiceAllocator.Transaction
        do {
            transaction = try await allocator.allocate(&service, old: nil, dryRun: false)
        } catch {
            if try await storage.read(key: key) != nil { return }
            throw error
        }
        do {
            _ = try await storage.create(info, key: key, object: service)
        } catch {
            await allocator.rollback(transaction)
            if let error = error as? APIError, error.code == 409 { return }
            throw error
        }
    }

    /// One subset per port (servers normally share one; a test bed on one host cannot).
    static func endpoints(members: [APIServerLeases.Member]) -> JSONValue {
        let ports = Array(Set(members.map(\.port))).sorted()
        let subsets: [JSONValue] = ports.map { port in
            [
                "addresses": .array(members.filter { $0.port == port }.map { ["ip": .string($0.address)] }),
                "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]],
            ]
        }
        return [
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"],
            ],
            "subsets": .array(subsets),
        ]
    }

    /// A slice has one port list, so it names the servers on the lowest port (all of them when,
    /// as in production, they share one); the same on every server, so they do not take turns.
    static func endpointSlice(members: [APIServerLeases.Member]) -> JSONValue {
        let port = members.map(\.port).min() ?? 0
        let addresses = members.filter { $0.port == port }.map(\.address)
        return [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "labels": ["kubernetes.io/service-name": .string(name)],
            ],
            "addressType": "IPv4",
            "endpoints": .array(addresses.map { ["addresses": [.string($0)], "conditions": ["ready": true]] }),
            "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]],
        ]
    }

    /// Creates the object, or updates the fields it owns when they differ.
    private static func ensure(storage: ObjectStorage, resource: (String, String, String), object: JSONValue) async throws {
        guard let info = ResourceCatalog.find(group: resource.0, version: resource.1, resource: resource.2) else { return }
        let key = StorageKeys.key(info, namespace: namespace, name: name)
        let owned = ["subsets", "addressType", "endpoints", "ports"]
        if try await storage.read(key: key) != nil {
            _ = try await storage.update(info, key: key, name: name) { current in
                var updated = current
                for field in owned { updated[field] = object[field] }
                updated[path: ["metadata", "labels"]] = object[path: ["metadata", "labels"]]
                return updated
            }
            return
        }
        var created = object
        created[path: ["metadata", "uid"]] = .string(UUID().uuidString.lowercased())
        created[path: ["metadata", "creationTimestamp"]] = .string(Timestamp.format(Date()))
        do {
            _ = try await storage.create(info, key: key, object: created)
        } catch let error as APIError where error.code == 409 {
            return
        }
    }

    private static func firstNonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0, entry.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
            let value = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
            return IPv4CIDR.format(value)
        }
        return nil
    }
}
