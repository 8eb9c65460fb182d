import KyvernAPI
import KyvernStore

/// Gives Services their cluster IPs and node ports on create and update, and takes them back on
/// delete, with upstream's answers when a requested value is taken or out of range.
struct ServiceAllocator: Sendable {
    let ranges: ServiceRanges
    let reservations: ReservationStore

    init(ranges: ServiceRanges, store: any Store) {
        self.ranges = ranges
        self.reservations = ReservationStore(store: store)
    }

    var ips: PoolAllocator {
        let cidr = ranges.clusterIPs
        return PoolAllocator(reservations: reservations, pool: .serviceIPs, count: cidr.usableCount,
                             dynamicStart: ranges.dynamicIPStart,
                             render: { IPv4CIDR.format(cidr.address(at: $0)!) })
    }

    var ports: PoolAllocator {
        let lower = ranges.nodePorts.lowerBound
        return PoolAllocator(reservations: reservations, pool: .nodePorts, count: ranges.nodePorts.count,
                             dynamicStart: ranges.dynamicPortStart, render: { String(lower + $0) })
    }

    /// What one write reserved (given back if the write fails) and what the Service no longer
    /// uses (given back once the write succeeded).
    struct Transaction: Sendable {
        var owner: ReservationOwner
        var reserved: [Reservation] = []
        var releasable: [Reservation] = []
    }

    /// Fills in and reserves the Service's cluster IP, node ports and health-check node port.
    /// On failure everything this call reserved is released before the error is thrown.
    func allocate(_ service: inout JSONValue, old: JSONValue?, dryRun: Bool) async throws -> Transaction {
        var tx = Transaction(owner: ReservationOwner(service: service))
        let held = old.map(ServiceSpecRules.held) ?? []
        do {
            try await allocateClusterIP(&service, held: held, dryRun: dryRun, tx: &tx)
            try await allocateNodePorts(&service, held: held, dryRun: dryRun, tx: &tx)
            try await allocateHealthCheckNodePort(&service, held: held, dryRun: dryRun, tx: &tx)
        } catch {
            await rollback(tx)
            throw error
        }
        tx.releasable = Array(held.subtracting(ServiceSpecRules.held(service)))
        return tx
    }

    func rollback(_ tx: Transaction) async {
        for reservation in tx.reserved {
            try? await reservations.release(reservation, heldBy: tx.owner.uid)
        }
    }

    func commit(_ tx: Transaction) async {
        for reservation in tx.releasable {
            try? await reservations.release(reservation, heldBy: tx.owner.uid)
        }
    }

    /// Gives back everything a deleted Service held.
    func release(service: JSONValue) async {
        let uid = ReservationOwner(service: service).uid
        for reservation in ServiceSpecRules.held(service) {
            try? await reservations.release(reservation, heldBy: uid)
        }
    }

    // MARK: cluster IP

    private func allocateClusterIP(_ service: inout JSONValue, held: Set<Reservation>, dryRun: Bool,
                                   tx: inout Transaction) async throws {
        guard ServiceSpecRules.needsClusterIP(service) else { return }
        let name = tx.owner.name
        let requested = ServiceSpecRules.clusterIP(service)
        let hasSelector = !(service[path: ["spec", "selector"]]?.objectValue ?? [:]).isEmpty
        if requested == "None" {
            service[path: ["spec", "clusterIP"]] = "None"
            service[path: ["spec", "clusterIPs"]] = ["None"]
            if hasSelector {
                setFamilies(&service)
            } else {
                // Headless without a selector: upstream lets it carry every family.
                if service[path: ["spec", "ipFamilyPolicy"]] == nil { service[path: ["spec", "ipFamilyPolicy"]] = "RequireDualStack" }
                if service[path: ["spec", "ipFamilies"]] == nil {
                    service[path: ["spec", "ipFamilies"]] = service[path: ["spec", "ipFamilyPolicy"]]?.stringValue == "SingleStack"
                        ? ["IPv4"] : ["IPv4", "IPv6"]
                }
            }
            return
        }
        if service[path: ["spec", "ipFamilyPolicy"]]?.stringValue == "RequireDualStack" {
            throw APIError.invalid(group: "", kind: "Service", name: name, causes: [
                .invalid("spec.ipFamilyPolicy", "RequireDualStack", "this cluster is not configured for dual-stack services"),
            ])
        }
        let address: String
        if requested.isEmpty {
            do {
                let offset = try await ips.allocateNext(for: tx.owner, dryRun: dryRun)
                address = ips.render(offset)
                if !dryRun { tx.reserved.append(.ip(address)) }
            } catch PoolAllocator.Failure.full {
                throw APIError.internalError("failed to allocate a serviceIP: range is full")
            }
        } else {
            address = requested
            let requestedIPs = service[path: ["spec", "clusterIPs"]]?.arrayValue?.compactMap(\.stringValue) ?? [requested]
            func refuse(_ reason: String) -> APIError {
                let shown = "[]string{" + requestedIPs.map(goQuote).joined(separator: ", ") + "}"
                return APIError.invalid(group: "", kind: "Service", name: name, causes: [
                    .init(type: "FieldValueInvalid",
                          message: "Invalid value: \(shown): failed to allocate IP \(requested): \(reason)",
                          field: "spec.clusterIPs"),
                ])
            }
            guard let parsed = IPv4CIDR.parseAddress(requested), let offset = ranges.clusterIPs.offset(of: parsed) else {
                throw refuse("provided IP is not in the valid range. The range of valid IPs is \(ranges.clusterIPs)")
            }
            if !held.contains(.ip(requested)) {
                switch try await ips.allocate(offset: offset, for: tx.owner, dryRun: dryRun) {
                case .reserved: if !dryRun { tx.reserved.append(.ip(requested)) }
                case .alreadyOwned: break
                case .taken: throw refuse("provided IP is already allocated")
                }
            }
        }
        service[path: ["spec", "clusterIP"]] = .string(address)
        service[path: ["spec", "clusterIPs"]] = [.string(address)]
        setFamilies(&service)
    }

    private func setFamilies(_ service: inout JSONValue) {
        if service[path: ["spec", "ipFamilyPolicy"]] == nil { service[path: ["spec", "ipFamilyPolicy"]] = "SingleStack" }
        if service[path: ["spec", "ipFamilies"]] == nil { service[path: ["spec", "ipFamilies"]] = ["IPv4"] }
    }

    // MARK: node ports

    private func reservePort(_ port: Int, held: Set<Reservation>, dryRun: Bool, tx: inout Transaction) async throws -> ReservationStore.Outcome {
        if held.contains(.port(port)) || tx.reserved.contains(.port(port)) { return .alreadyOwned }
        let outcome = try await ports.allocate(offset: port - ranges.nodePorts.lowerBound, for: tx.owner, dryRun: dryRun)
        if outcome == .reserved && !dryRun { tx.reserved.append(.port(port)) }
        return outcome
    }

    private func nextPort(dryRun: Bool, tx: inout Transaction, what: String) async throws -> Int {
        do {
            let port = ranges.nodePorts.lowerBound + (try await ports.allocateNext(for: tx.owner, dryRun: dryRun))
            if !dryRun { tx.reserved.append(.port(port)) }
            return port
        } catch PoolAllocator.Failure.full {
            throw APIError.internalError("failed to allocate a \(what): range is full")
        }
    }

    private func allocateNodePorts(_ service: inout JSONValue, held: Set<Reservation>, dryRun: Bool,
                                   tx: inout Transaction) async throws {
        guard ServiceSpecRules.needsNodePorts(service) else { return }
        let allocates = ServiceSpecRules.allocatesNodePorts(service)
        var ports = ServiceSpecRules.ports(service)
        // Ports with the same number (TCP and UDP 53) share one node port, as upstream.
        var byServicePort: [Int64: Int] = [:]
        for index in ports.indices {
            let servicePort = ports[index]["port"]?.intValue ?? 0
            var nodePort = ServiceSpecRules.nodePort(ports[index])
            if nodePort == 0 {
                if let shared = byServicePort[servicePort] {
                    nodePort = shared
                } else if allocates {
                    nodePort = try await nextPort(dryRun: dryRun, tx: &tx, what: "nodePort")
                } else {
                    continue
                }
            } else {
                func refuse(_ reason: String) -> APIError {
                    APIError.invalid(group: "", kind: "Service", name: tx.owner.name, causes: [
                        .invalid("spec.ports[\(index)].nodePort", .int(Int64(nodePort)), reason),
                    ])
                }
                guard ranges.nodePorts.contains(nodePort) else {
                    throw refuse("provided port is not in the valid range. The range of valid ports is \(ranges.nodePorts.lowerBound)-\(ranges.nodePorts.upperBound)")
                }
                if try await reservePort(nodePort, held: held, dryRun: dryRun, tx: &tx) == .taken {
                    throw refuse("provided port is already allocated")
                }
            }
            if byServicePort[servicePort] == nil { byServicePort[servicePort] = nodePort }
            ports[index]["nodePort"] = .int(Int64(nodePort))
        }
        if !ports.isEmpty { service[path: ["spec", "ports"]] = .array(ports) }
    }

    private func allocateHealthCheckNodePort(_ service: inout JSONValue, held: Set<Reservation>, dryRun: Bool,
                                             tx: inout Transaction) async throws {
        guard ServiceSpecRules.needsHealthCheckNodePort(service) else { return }
        var port = ServiceSpecRules.healthCheckNodePort(service)
        if port == 0 {
            port = try await nextPort(dryRun: dryRun, tx: &tx, what: "HealthCheck NodePort")
        } else {
            guard ranges.nodePorts.contains(port) else {
                throw APIError.internalError("failed to allocate requested HealthCheck NodePort \(port): provided port is not in the valid range. The range of valid ports is \(ranges.nodePorts.lowerBound)-\(ranges.nodePorts.upperBound)")
            }
            if try await reservePort(port, held: held, dryRun: dryRun, tx: &tx) == .taken {
                throw APIError.internalError("failed to allocate requested HealthCheck NodePort \(port): provided port is already allocated")
            }
        }
        service[path: ["spec", "healthCheckNodePort"]] = .int(Int64(port))
    }
}
