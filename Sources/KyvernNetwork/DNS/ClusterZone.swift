/// Answers questions about the cluster domain from the Services and EndpointSlices, following the
/// Kubernetes DNS-based service discovery specification (schema 1.1.0) and CoreDNS's kubernetes
/// plugin where the specification leaves room (TTL 5 s, `pods insecure`, dashed-IP endpoint
/// names, reverse lookups that fall through to the upstreams when no object owns the address).
package struct ClusterZone: Sendable {
    /// e.g. "cluster.local".
    package let domain: DNSName
    package let ttl: UInt32

    static let reverseIPv4 = DNSName("in-addr.arpa")!
    static let reverseIPv6 = DNSName("ip6.arpa")!
    /// The schema version `dns-version.<zone>` reports.
    static let schemaVersion = "1.1.0"

    package init(domain: DNSName, ttl: UInt32 = 5) {
        self.domain = domain
        self.ttl = ttl
    }

    /// The answer when the question belongs to the cluster (its domain, or a reverse name of a
    /// known address); nil when it should be forwarded.
    package func answer(_ question: DNSQuestion, in state: ClusterDNSState) -> ClusterZoneAnswer? {
        if question.name.isSubdomain(of: domain) {
            return forwardAnswer(question, in: state, depth: 0)
        }
        if question.name.isSubdomain(of: Self.reverseIPv4) {
            return reverseAnswer(question, zone: Self.reverseIPv4, ipv6: false, in: state)
        }
        if question.name.isSubdomain(of: Self.reverseIPv6) {
            return reverseAnswer(question, zone: Self.reverseIPv6, ipv6: true, in: state)
        }
        return nil
    }

    // MARK: forward names

    private func forwardAnswer(_ question: DNSQuestion, in state: ClusterDNSState, depth: Int) -> ClusterZoneAnswer {
        let labels = question.name.lowercasedLabels.dropLast(domain.labels.count).map { $0 }
        let count = labels.count
        guard count > 0 else { return apexAnswer(question, in: state) }
        switch labels[count - 1] {
        case "svc" where count == 1:
            return noData(state)
        case "svc" where count == 2:
            return state.hasServices(inNamespace: labels[0]) ? noData(state) : nameError(state)
        case "svc":
            guard let service = state.service(namespace: labels[count - 2], name: labels[count - 3]) else {
                return nameError(state)
            }
            switch count {
            case 3:
                return serviceAnswer(question, service, in: state, depth: depth)
            case 4 where labels[0].hasPrefix("_"):
                // `_tcp.web.ns.svc…`: a name on the way to SRV records, present while a port uses it.
                let proto = String(labels[0].dropFirst())
                return ports(of: service, in: state).contains { $0.proto == proto } ? noData(state) : nameError(state)
            case 4:
                return endpointAnswer(question, service, endpointName: labels[0], in: state)
            case 5 where labels[0].hasPrefix("_") && labels[1].hasPrefix("_"):
                return srvAnswer(question, service, port: String(labels[0].dropFirst()),
                                 proto: String(labels[1].dropFirst()), in: state)
            default:
                return nameError(state)
            }
        case "pod" where count <= 2:
            return noData(state)
        case "pod" where count == 3:
            guard let address = IPAddressText.undashed(labels[0]) else { return nameError(state) }
            return addressAnswer(question, [address], state)
        case "dns-version" where count == 1:
            guard question.type == .txt else { return noData(state) }
            return ClusterZoneAnswer(answers: [record(question.name, .txt([Array(Self.schemaVersion.utf8)]))])
        case "dns" where count == 1:
            return noData(state)
        case "dns" where count == 2 && labels[0] == "ns":
            // The name server the NS and SOA records name: the cluster DNS Service's addresses.
            let service = state.service(namespace: "kube-system", name: "kube-dns")
            return addressAnswer(question, service?.clusterIPs ?? [], state)
        default:
            return nameError(state)
        }
    }

    private func apexAnswer(_ question: DNSQuestion, in state: ClusterDNSState) -> ClusterZoneAnswer {
        switch question.type {
        case .soa: ClusterZoneAnswer(answers: [soa(owner: question.name, state)])
        case .ns: ClusterZoneAnswer(answers: [record(question.name, .ns(nameServer))])
        default: noData(state)
        }
    }

    private func serviceAnswer(_ question: DNSQuestion, _ service: ClusterServiceEntry, in state: ClusterDNSState,
                               depth: Int) -> ClusterZoneAnswer {
        if let externalName = service.externalName {
            guard let target = DNSName(externalName) else { return noData(state) }
            var answer = ClusterZoneAnswer(answers: [record(question.name, .cname(target))])
            // A target inside the cluster domain is answered here too; others the handler resolves upstream.
            if question.type != .cname, target.isSubdomain(of: domain), depth < 8 {
                let chased = forwardAnswer(DNSQuestion(name: target, type: question.type), in: state, depth: depth + 1)
                answer.answers += chased.answers
                answer.additional += chased.additional
                answer.rcode = chased.rcode
                answer.authority = chased.authority
            }
            return answer
        }
        let addresses = serviceAddresses(service, in: state)
        // Specification 2.4.1: a headless Service without ready endpoints answers NXDOMAIN.
        if service.isHeadless && addresses.isEmpty { return nameError(state) }
        switch question.type {
        case .srv:
            let ports = ports(of: service, in: state)
            var answer = ClusterZoneAnswer()
            for port in ports {
                let partial = srvAnswer(DNSQuestion(name: question.name, type: .srv), service, port: port.name,
                                        proto: port.proto, in: state, owner: question.name)
                answer.answers += partial.answers.filter { !answer.answers.contains($0) }
                answer.additional += partial.additional.filter { !answer.additional.contains($0) }
            }
            return answer.answers.isEmpty ? noData(state) : reweighted(answer)
        default:
            return addressAnswer(question, addresses, state)
        }
    }

    /// A ClusterIP Service's cluster IPs; a headless one's endpoint addresses.
    private func serviceAddresses(_ service: ClusterServiceEntry, in state: ClusterDNSState) -> [[UInt8]] {
        guard service.isHeadless else { return service.clusterIPs }
        var seen = Set<[UInt8]>()
        return eligibleEndpoints(service, in: state).flatMap(\.endpoint.addresses).filter { seen.insert($0).inserted }
    }

    private func endpointAnswer(_ question: DNSQuestion, _ service: ClusterServiceEntry, endpointName: String,
                                in state: ClusterDNSState) -> ClusterZoneAnswer {
        var addresses: [[UInt8]] = []
        for (_, endpoint) in eligibleEndpoints(service, in: state) {
            for address in endpoint.addresses where Self.endpointName(endpoint, address) == endpointName {
                if !addresses.contains(address) { addresses.append(address) }
            }
        }
        guard !addresses.isEmpty else { return nameError(state) }
        return addressAnswer(question, addresses, state)
    }

    private func srvAnswer(_ question: DNSQuestion, _ service: ClusterServiceEntry, port: String, proto: String,
                           in state: ClusterDNSState, owner: DNSName? = nil) -> ClusterZoneAnswer {
        guard !port.isEmpty else { return nameError(state) }
        let owner = owner ?? question.name
        let serviceName = serviceDomain(service)
        var answer = ClusterZoneAnswer()
        if service.isHeadless {
            for (slice, endpoint) in eligibleEndpoints(service, in: state) {
                for slicePort in slice.ports where slicePort.name == port && slicePort.proto == proto {
                    for address in endpoint.addresses {
                        guard let host = Self.endpointName(endpoint, address) else { continue }
                        let target = serviceName.prepending(host)
                        let srv = record(owner, .srv(.init(priority: 0, weight: 0, port: slicePort.port, target: target)))
                        if !answer.answers.contains(srv) { answer.answers.append(srv) }
                        let glue = record(target, address.count == 4 ? .a(address) : .aaaa(address))
                        if !answer.additional.contains(glue) { answer.additional.append(glue) }
                    }
                }
            }
        } else {
            for servicePort in service.ports where servicePort.name == port && servicePort.proto == proto {
                answer.answers.append(record(owner, .srv(.init(priority: 0, weight: 0, port: servicePort.port,
                                                               target: serviceName))))
            }
            if !answer.answers.isEmpty {
                answer.additional = service.clusterIPs.map { record(serviceName, $0.count == 4 ? .a($0) : .aaaa($0)) }
            }
        }
        // No such port: NXDOMAIN, as for any name the cluster does not hold.
        guard !answer.answers.isEmpty else { return nameError(state) }
        guard question.type == .srv || question.type == .any else { return noData(state) }
        return reweighted(answer)
    }

    /// Spreads weight 100 over the SRV records (all of priority 0), as CoreDNS does.
    private func reweighted(_ answer: ClusterZoneAnswer) -> ClusterZoneAnswer {
        var answer = answer
        let weight = UInt16(max(1, 100 / max(1, answer.answers.count)))
        answer.answers = answer.answers.map { record in
            guard case .srv(var srv) = record.data else { return record }
            srv.weight = weight
            var record = record
            record.data = .srv(srv)
            return record
        }
        return answer
    }

    /// A or AAAA records of the addresses of the asked family (NODATA when there are none).
    private func addressAnswer(_ question: DNSQuestion, _ addresses: [[UInt8]], _ state: ClusterDNSState) -> ClusterZoneAnswer {
        let records: [DNSRecord] = switch question.type {
        case .a: addresses.filter { $0.count == 4 }.map { record(question.name, .a($0)) }
        case .aaaa: addresses.filter { $0.count == 16 }.map { record(question.name, .aaaa($0)) }
        case .any: addresses.map { record(question.name, $0.count == 4 ? .a($0) : .aaaa($0)) }
        default: []
        }
        return records.isEmpty ? noData(state) : ClusterZoneAnswer(answers: records)
    }

    // MARK: reverse names

    private func reverseAnswer(_ question: DNSQuestion, zone: DNSName, ipv6: Bool,
                               in state: ClusterDNSState) -> ClusterZoneAnswer? {
        let labels = question.name.lowercasedLabels.dropLast(zone.labels.count).map { $0 }
        guard let address = IPAddressText.fromReverse(labels, ipv6: ipv6) else { return nil }
        var targets: [DNSName] = []
        for service in state.allServices.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) })
        where service.clusterIPs.contains(address) {
            targets.append(serviceDomain(service))
        }
        for slice in state.allSlices.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
            guard let service = state.service(namespace: slice.namespace, name: slice.serviceName) else { continue }
            for endpoint in slice.endpoints where endpoint.ready || service.publishNotReadyAddresses {
                guard endpoint.addresses.contains(address), let host = Self.endpointName(endpoint, address) else { continue }
                let target = serviceDomain(service).prepending(host)
                if !targets.contains(target) { targets.append(target) }
            }
        }
        guard !targets.isEmpty else { return nil }
        guard question.type == .ptr || question.type == .any else {
            return ClusterZoneAnswer(authority: [soa(owner: zone, state)])
        }
        return ClusterZoneAnswer(answers: targets.map { record(question.name, .ptr($0)) })
    }

    // MARK: pieces

    /// `<service>.<namespace>.svc.<zone>`.
    private func serviceDomain(_ service: ClusterServiceEntry) -> DNSName {
        DNSName(labels: [Array(service.name.utf8), Array(service.namespace.utf8), Array("svc".utf8)] + domain.labels)
    }

    private var nameServer: DNSName { domain.prepending("dns").prepending("ns") }

    /// An endpoint's name under its Service: its hostname, or else its address dashed.
    static func endpointName(_ endpoint: ClusterEndpointSliceEntry.Endpoint, _ address: [UInt8]) -> String? {
        if let hostname = endpoint.hostname, !hostname.isEmpty { return hostname.lowercased() }
        return IPAddressText.dashed(address)
    }

    /// Ready endpoints, and not-ready ones too when the Service publishes them.
    private func eligibleEndpoints(_ service: ClusterServiceEntry, in state: ClusterDNSState)
        -> [(slice: ClusterEndpointSliceEntry, endpoint: ClusterEndpointSliceEntry.Endpoint)] {
        state.slices(ofService: service.namespace, service.name).flatMap { slice in
            slice.endpoints.filter { $0.ready || service.publishNotReadyAddresses }.map { (slice, $0) }
        }
    }

    /// The ports SRV names are made of: the Service's, or for headless Services the endpoints';
    /// only named ones (specification 2.3.2: unnamed ports have no SRV record).
    private func ports(of service: ClusterServiceEntry, in state: ClusterDNSState) -> [ClusterServiceEntry.Port] {
        let ports = service.isHeadless ? state.slices(ofService: service.namespace, service.name).flatMap(\.ports) : service.ports
        return ports.filter { !$0.name.isEmpty }
    }

    private func record(_ name: DNSName, _ data: DNSRecordData) -> DNSRecord {
        DNSRecord(name: name, ttl: ttl, data: data)
    }

    func soa(owner: DNSName, _ state: ClusterDNSState) -> DNSRecord {
        record(owner, .soa(.init(mname: nameServer, rname: domain.prepending("hostmaster"), serial: state.generation,
                                 refresh: 7200, retry: 1800, expire: 86400, minimum: ttl)))
    }

    private func noData(_ state: ClusterDNSState) -> ClusterZoneAnswer {
        ClusterZoneAnswer(authority: [soa(owner: domain, state)])
    }

    private func nameError(_ state: ClusterDNSState) -> ClusterZoneAnswer {
        ClusterZoneAnswer(rcode: .nameError, authority: [soa(owner: domain, state)])
    }
}
