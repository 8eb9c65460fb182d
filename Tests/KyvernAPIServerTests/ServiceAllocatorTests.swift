import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Logging
import Testing

private func service(_ name: String, type: String = "ClusterIP", uid: String? = nil, spec: JSONValue = [:],
                     ports: JSONValue = [["port": 80]]) -> JSONValue {
    var object: JSONValue = [
        "apiVersion": "v1", "kind": "Service",
        "metadata": ["name": .string(name), "namespace": "ns", "uid": .string(uid ?? "uid-\(name)")],
        "spec": ["type": .string(type), "ports": ports, "selector": ["app": .string(name)]],
    ]
    for (key, value) in spec.objectValue ?? [:] { object[path: ["spec", key]] = value }
    return object
}

@Suite("IPv4 CIDR arithmetic")
struct IPv4CIDRTests {
    @Test func parsesAndMasks() throws {
        let cidr = try #require(IPv4CIDR("10.43.7.9/16"))
        #expect(cidr.description == "10.43.0.0/16")
        #expect(cidr.size == 65536 && cidr.usableCount == 65534)
        #expect(IPv4CIDR.format(cidr.address(at: 0)!) == "10.43.0.1")
        #expect(IPv4CIDR.format(cidr.address(at: 65533)!) == "10.43.255.254")
        #expect(cidr.address(at: 65534) == nil && cidr.address(at: -1) == nil)
        #expect(cidr.offset(of: IPv4CIDR.parseAddress("10.43.1.0")!) == 255)
        #expect(cidr.offset(of: IPv4CIDR.parseAddress("10.43.0.0")!) == nil, "the network address is not usable")
        #expect(cidr.offset(of: IPv4CIDR.parseAddress("10.43.255.255")!) == nil, "nor the broadcast address")
        #expect(cidr.offset(of: IPv4CIDR.parseAddress("10.44.0.1")!) == nil)
        #expect(cidr.contains(IPv4CIDR.parseAddress("10.43.255.255")!))
    }

    @Test(arguments: ["10.43.0.0", "10.43.0.0/33", "10.43.0/16", "10.043.0.0/16", "256.0.0.0/8", "10.43.0.0/+16", "a.b.c.d/8"])
    func rejectsMalformed(_ text: String) {
        #expect(IPv4CIDR(text) == nil)
    }

    @Test func smallNetworks() throws {
        let slash30 = try #require(IPv4CIDR("192.168.0.4/30"))
        #expect(slash30.usableCount == 2)
        #expect(IPv4CIDR.format(slash30.address(at: 1)!) == "192.168.0.6")
        let slash32 = try #require(IPv4CIDR("192.168.0.4/32"))
        #expect(slash32.usableCount == 1 && IPv4CIDR.format(slash32.address(at: 0)!) == "192.168.0.4")
    }

    @Test func serviceCIDRFlagLimits() throws {
        #expect(try ServiceRanges.parseCIDR("10.96.0.0/12").description == "10.96.0.0/12")
        #expect(throws: ServiceRangeError.self) { try ServiceRanges.parseCIDR("10.0.0.0/8") }
        #expect(throws: ServiceRangeError.self) { try ServiceRanges.parseCIDR("10.0.0.0/31") }
        #expect(throws: ServiceRangeError.self) { try ServiceRanges.parseCIDR("nonsense") }
    }

    @Test func staticBandsAsUpstream() {
        #expect(ServiceRanges.default.dynamicIPStart == 256)
        #expect(ServiceRanges.default.dynamicPortStart == 86)
        #expect(ServiceRanges(clusterIPs: IPv4CIDR("10.0.0.0/28")!).dynamicIPStart == 0)
        #expect(ServiceRanges(clusterIPs: IPv4CIDR("10.0.0.0/24")!).dynamicIPStart == 16)
        #expect(ServiceRanges.default.kubernetesServiceIP == "10.43.0.1")
    }
}

@Suite("Service allocation")
struct ServiceAllocatorTests {
    let store = MemoryStore()

    func allocator(_ cidr: String = "10.43.0.0/16", ports: ClosedRange<Int> = 30000...32767) -> ServiceAllocator {
        ServiceAllocator(ranges: ServiceRanges(clusterIPs: IPv4CIDR(cidr)!, nodePorts: ports), store: store)
    }

    @Test func clusterIPFromDynamicBandWithFamilies() async throws {
        var svc = service("a")
        let tx = try await allocator().allocate(&svc, old: nil, dryRun: false)
        let ip = try #require(svc[path: ["spec", "clusterIP"]]?.stringValue)
        let offset = try #require(IPv4CIDR("10.43.0.0/16")!.offset(of: IPv4CIDR.parseAddress(ip)!))
        #expect(offset >= 256, "dynamic addresses come from above the static band")
        #expect(svc[path: ["spec", "clusterIPs"]] == [.string(ip)])
        #expect(svc[path: ["spec", "ipFamilies"]] == ["IPv4"])
        #expect(svc[path: ["spec", "ipFamilyPolicy"]] == "SingleStack")
        #expect(tx.reserved == [.ip(ip)])
        #expect(try await ReservationStore(store: store).read(.ip(ip))?.owner.uid == "uid-a")
    }

    @Test func requestedIPTakenOrOutOfRange() async throws {
        let alloc = allocator()
        var a = service("a", spec: ["clusterIP": "10.43.0.10"])
        _ = try await alloc.allocate(&a, old: nil, dryRun: false)
        var b = service("b", spec: ["clusterIP": "10.43.0.10"])
        let taken = await #expect(throws: APIError.self) { try await alloc.allocate(&b, old: nil, dryRun: false) }
        #expect(taken?.code == 422)
        #expect(taken?.message == #"Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.0.10"}: failed to allocate IP 10.43.0.10: provided IP is already allocated"#)
        var c = service("c", spec: ["clusterIP": "10.43.255.255"])
        let outside = await #expect(throws: APIError.self) { try await alloc.allocate(&c, old: nil, dryRun: false) }
        #expect(outside?.message == #"Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"10.43.255.255"}: failed to allocate IP 10.43.255.255: provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16"#)
    }

    @Test func headlessAndExternalNameGetNothing() async throws {
        let alloc = allocator()
        var headless = service("h", spec: ["clusterIP": "None"])
        let tx = try await alloc.allocate(&headless, old: nil, dryRun: false)
        #expect(tx.reserved.isEmpty && headless[path: ["spec", "clusterIPs"]] == ["None"])
        #expect(headless[path: ["spec", "ipFamilyPolicy"]] == "SingleStack")
        var noSelector = service("h2", spec: ["clusterIP": "None"])
        noSelector[path: ["spec", "selector"]] = nil
        _ = try await alloc.allocate(&noSelector, old: nil, dryRun: false)
        #expect(noSelector[path: ["spec", "ipFamilyPolicy"]] == "RequireDualStack")
        #expect(noSelector[path: ["spec", "ipFamilies"]] == ["IPv4", "IPv6"])
        var external = service("e", type: "ExternalName")
        let none = try await alloc.allocate(&external, old: nil, dryRun: false)
        #expect(none.reserved.isEmpty && external[path: ["spec", "clusterIP"]] == nil)
    }

    @Test func exhaustionIsRangeFull() async throws {
        let alloc = allocator("10.0.0.0/29")  // 6 usable addresses
        var ips: Set<String> = []
        for i in 0..<6 {
            var svc = service("s\(i)")
            _ = try await alloc.allocate(&svc, old: nil, dryRun: false)
            ips.insert(svc[path: ["spec", "clusterIP"]]!.stringValue!)
        }
        #expect(ips.count == 6)
        var last = service("full")
        let error = await #expect(throws: APIError.self) { try await alloc.allocate(&last, old: nil, dryRun: false) }
        #expect(error?.code == 500 && error?.message == "Internal error occurred: failed to allocate a serviceIP: range is full")
    }

    @Test func concurrentAllocationsNeverCollide() async throws {
        let alloc = allocator("10.0.0.0/26", ports: 30000...30063)  // 62 addresses, 64 ports
        let results = try await withThrowingTaskGroup(of: JSONValue.self) { group in
            for i in 0..<60 {
                group.addTask {
                    var svc = service("c\(i)", type: "NodePort")
                    _ = try await alloc.allocate(&svc, old: nil, dryRun: false)
                    return svc
                }
            }
            return try await group.reduce(into: [JSONValue]()) { $0.append($1) }
        }
        let ips = results.compactMap { $0[path: ["spec", "clusterIP"]]?.stringValue }
        let ports = results.compactMap { $0[path: ["spec", "ports"]]?.arrayValue?.first?["nodePort"]?.intValue }
        #expect(ips.count == 60 && Set(ips).count == 60)
        #expect(ports.count == 60 && Set(ports).count == 60)
        #expect(try await ReservationStore(store: store).all(.serviceIPs).count == 60)
    }

    @Test func nodePortsSharedByPortNumberAndCheckedAgainstRange() async throws {
        let alloc = allocator()
        var dns = service("dns", type: "NodePort", ports: [["name": "udp", "port": 53, "protocol": "UDP"],
                                                            ["name": "tcp", "port": 53, "protocol": "TCP"]])
        _ = try await alloc.allocate(&dns, old: nil, dryRun: false)
        let ports = dns[path: ["spec", "ports"]]!.arrayValue!.map { $0["nodePort"]!.intValue! }
        #expect(ports[0] == ports[1] && ports[0] >= 30086)
        var fixed = service("fixed", type: "NodePort", ports: [["port": 80, "nodePort": .int(ports[0])]])
        let taken = await #expect(throws: APIError.self) { try await alloc.allocate(&fixed, old: nil, dryRun: false) }
        #expect(taken?.message == "Service \"fixed\" is invalid: spec.ports[0].nodePort: Invalid value: \(ports[0]): provided port is already allocated")
        var far = service("far", type: "NodePort", ports: [["port": 80], ["port": 81, "nodePort": 8080]])
        let outside = await #expect(throws: APIError.self) { try await alloc.allocate(&far, old: nil, dryRun: false) }
        #expect(outside?.message == "Service \"far\" is invalid: spec.ports[1].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767")
        // the failed allocation gave back its clusterIP and its first port
        #expect(try await ReservationStore(store: store).all(.serviceIPs).count == 1)
        #expect(try await ReservationStore(store: store).all(.nodePorts).count == 1)
    }

    @Test func healthCheckNodePortForLocalLoadBalancers() async throws {
        var lb = service("lb", type: "LoadBalancer", spec: ["externalTrafficPolicy": "Local"])
        _ = try await allocator().allocate(&lb, old: nil, dryRun: false)
        let hc = try #require(lb[path: ["spec", "healthCheckNodePort"]]?.intValue)
        #expect((30000...32767).contains(Int(hc)))
        #expect(try await ReservationStore(store: store).all(.nodePorts).count == 2)
    }

    @Test func updateKeepsValuesAndTypeChangeReleases() async throws {
        let alloc = allocator()
        var old = service("u", type: "NodePort", ports: [["name": "web", "port": 80]])
        _ = try await alloc.allocate(&old, old: nil, dryRun: false)
        let ip = old[path: ["spec", "clusterIP"]]!
        let nodePort = old[path: ["spec", "ports"]]!.arrayValue![0]["nodePort"]!
        // a replace that leaves both out keeps them
        var replaced = service("u", type: "NodePort", ports: [["name": "web", "port": 80]])
        ServiceSpecRules.prepareForUpdate(&replaced, old: old)
        let keep = try await alloc.allocate(&replaced, old: old, dryRun: false)
        #expect(keep.reserved.isEmpty && keep.releasable.isEmpty)
        #expect(replaced[path: ["spec", "clusterIP"]] == ip && replaced[path: ["spec", "ports"]]!.arrayValue![0]["nodePort"] == nodePort)
        // to ClusterIP: the node port is cleared and released on commit
        var toClusterIP = replaced
        toClusterIP[path: ["spec", "type"]] = "ClusterIP"
        ServiceSpecRules.prepareForUpdate(&toClusterIP, old: replaced)
        #expect(toClusterIP[path: ["spec", "ports"]]!.arrayValue![0]["nodePort"] == nil)
        let change = try await alloc.allocate(&toClusterIP, old: replaced, dryRun: false)
        #expect(change.releasable == [.port(Int(nodePort.intValue!))])
        await alloc.commit(change)
        #expect(try await ReservationStore(store: store).all(.nodePorts).isEmpty)
        // to ExternalName: the address goes too
        var toExternal = toClusterIP
        toExternal[path: ["spec", "type"]] = "ExternalName"
        ServiceSpecRules.prepareForUpdate(&toExternal, old: toClusterIP)
        #expect(toExternal[path: ["spec", "clusterIP"]] == nil && toExternal[path: ["spec", "ipFamilies"]] == nil)
        let drop = try await alloc.allocate(&toExternal, old: toClusterIP, dryRun: false)
        await alloc.commit(drop)
        #expect(try await ReservationStore(store: store).all(.serviceIPs).isEmpty)
    }

    @Test func releaseOnlyByTheHolder() async throws {
        let alloc = allocator()
        var a = service("a", spec: ["clusterIP": "10.43.0.20"])
        _ = try await alloc.allocate(&a, old: nil, dryRun: false)
        // a stale copy of a deleted Service with the same name but another uid frees nothing
        await alloc.release(service: service("a", uid: "other", spec: ["clusterIP": "10.43.0.20"]))
        #expect(try await ReservationStore(store: store).isTaken(.ip("10.43.0.20")))
        await alloc.release(service: a)
        #expect(try await !ReservationStore(store: store).isTaken(.ip("10.43.0.20")))
    }

    @Test func dryRunReservesNothing() async throws {
        var svc = service("d", type: "NodePort")
        let tx = try await allocator().allocate(&svc, old: nil, dryRun: true)
        #expect(svc[path: ["spec", "clusterIP"]]?.stringValue != nil)
        #expect(tx.reserved.isEmpty)
        #expect(try await ReservationStore(store: store).all(.serviceIPs).isEmpty)
    }

    @Test func repairReservesForServicesAndReleasesLeaks() async throws {
        let logger = Logger(label: "test")
        let cache = WatchCache(logger: logger)
        await cache.load([], revision: 0)
        let storage = ObjectStorage(store: store, cache: cache)
        let info = ResourceCatalog.find(group: "", version: "v1", resource: "services")!
        // a Service stored without a reservation, and a reservation without a Service
        let stored = service("old", spec: ["clusterIP": "10.43.3.3", "clusterIPs": ["10.43.3.3"]])
        _ = try await storage.create(info, key: StorageKeys.key(info, namespace: "ns", name: "old"), object: stored)
        let reservations = ReservationStore(store: store)
        _ = try await reservations.reserve(.ip("10.43.9.9"), for: ReservationOwner(namespace: "ns", name: "gone", uid: "gone"))
        try await feed(cache)
        let repair = AllocationRepair(allocator: allocator(), storage: storage, logger: logger)
        let young = try await repair.repairOnce(now: Date())
        #expect(young.reserved == [.ip("10.43.3.3")])
        #expect(young.released.isEmpty, "a fresh reservation may belong to a create in flight")
        try await feed(cache)
        let later = try await repair.repairOnce(now: Date().addingTimeInterval(60))
        #expect(later.reserved.isEmpty && later.released == [.ip("10.43.9.9")])
        #expect(try await reservations.read(.ip("10.43.3.3"))?.owner.uid == "uid-old")
    }

    private func feed(_ cache: WatchCache) async throws {
        let all = try await store.range(prefix: StorageKeys.root, startKey: nil, limit: nil, revision: nil)
        await cache.load(all.items, revision: all.revision)
    }
}
