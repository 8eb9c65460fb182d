import KyvernAPI

/// Which allocated values a Service needs, by its type, and how an update carries them over;
/// pure functions on the Service's JSON, as upstream's service REST storage decides them.
enum ServiceSpecRules {
    static func type(_ service: JSONValue) -> String {
        service[path: ["spec", "type"]]?.stringValue ?? "ClusterIP"
    }

    /// Every type but ExternalName has a cluster IP (or is headless).
    static func needsClusterIP(_ service: JSONValue) -> Bool {
        type(service) != "ExternalName"
    }

    /// NodePort and LoadBalancer Services may hold node ports.
    static func needsNodePorts(_ service: JSONValue) -> Bool {
        let type = type(service)
        return type == "NodePort" || type == "LoadBalancer"
    }

    /// Whether ports without a node port get one: always for NodePort; for LoadBalancer unless
    /// `allocateLoadBalancerNodePorts` is false.
    static func allocatesNodePorts(_ service: JSONValue) -> Bool {
        switch type(service) {
        case "NodePort": return true
        case "LoadBalancer": return service[path: ["spec", "allocateLoadBalancerNodePorts"]]?.boolValue != false
        default: return false
        }
    }

    /// A LoadBalancer that keeps client source addresses needs a health-check node port.
    static func needsHealthCheckNodePort(_ service: JSONValue) -> Bool {
        type(service) == "LoadBalancer" && service[path: ["spec", "externalTrafficPolicy"]]?.stringValue == "Local"
    }

    static func clusterIP(_ service: JSONValue) -> String {
        if let ip = service[path: ["spec", "clusterIP"]]?.stringValue, !ip.isEmpty { return ip }
        return service[path: ["spec", "clusterIPs"]]?.arrayValue?.first?.stringValue ?? ""
    }

    static func ports(_ service: JSONValue) -> [JSONValue] {
        service[path: ["spec", "ports"]]?.arrayValue ?? []
    }

    static func nodePort(_ port: JSONValue) -> Int {
        Int(port["nodePort"]?.intValue ?? 0)
    }

    static func healthCheckNodePort(_ service: JSONValue) -> Int {
        Int(service[path: ["spec", "healthCheckNodePort"]]?.intValue ?? 0)
    }

    /// The reservations a stored Service holds.
    static func held(_ service: JSONValue) -> Set<Reservation> {
        var held: Set<Reservation> = []
        let ip = clusterIP(service)
        if needsClusterIP(service), IPv4CIDR.parseAddress(ip) != nil { held.insert(.ip(ip)) }
        for port in ports(service) where nodePort(port) > 0 { held.insert(.port(nodePort(port))) }
        if healthCheckNodePort(service) > 0 { held.insert(.port(healthCheckNodePort(service))) }
        return held
    }

    /// An update keeps the values a client left out (upstream's patchAllocatedValues) and drops
    /// those its new type no longer uses when the client left them unchanged
    /// (dropTypeDependentFields), so `kubectl apply` of a manifest without them just works.
    static func prepareForUpdate(_ service: inout JSONValue, old: JSONValue) {
        if needsClusterIP(old) && needsClusterIP(service) {
            if clusterIP(service).isEmpty {
                for field in ["clusterIP", "clusterIPs"] { service[path: ["spec", field]] = old[path: ["spec", field]] }
            }
            for field in ["ipFamilies", "ipFamilyPolicy"] where service[path: ["spec", field]] == nil {
                service[path: ["spec", field]] = old[path: ["spec", field]]
            }
        }
        if needsNodePorts(old) && needsNodePorts(service) {
            let newPorts = ports(service)
            let used = Set(ports(old).map(nodePort)).intersection(newPorts.map(nodePort))
            var byName: [String: Int] = [:]
            for port in ports(old) { byName[port["name"]?.stringValue ?? ""] = nodePort(port) }
            let patched = newPorts.map { port -> JSONValue in
                guard nodePort(port) == 0, let previous = byName[port["name"]?.stringValue ?? ""],
                      previous != 0, !used.contains(previous) else { return port }
                var port = port
                port["nodePort"] = .int(Int64(previous))
                return port
            }
            if !newPorts.isEmpty { service[path: ["spec", "ports"]] = .array(patched) }
        }
        if needsHealthCheckNodePort(old) && needsHealthCheckNodePort(service) && healthCheckNodePort(service) == 0 {
            service[path: ["spec", "healthCheckNodePort"]] = old[path: ["spec", "healthCheckNodePort"]]
        }

        if needsClusterIP(old) && !needsClusterIP(service) {
            if service[path: ["spec", "clusterIP"]] == old[path: ["spec", "clusterIP"]]
                && service[path: ["spec", "clusterIPs"]] == old[path: ["spec", "clusterIPs"]] {
                service[path: ["spec", "clusterIP"]] = nil
                service[path: ["spec", "clusterIPs"]] = nil
            }
            for field in ["ipFamilies", "ipFamilyPolicy"] where service[path: ["spec", field]] == old[path: ["spec", field]] {
                service[path: ["spec", field]] = nil
            }
        }
        if needsNodePorts(old) && !needsNodePorts(service),
           ports(service).map(nodePort) == ports(old).map(nodePort) {
            let cleared = ports(service).map { port -> JSONValue in
                var port = port
                port["nodePort"] = nil
                return port
            }
            if !cleared.isEmpty { service[path: ["spec", "ports"]] = .array(cleared) }
        }
        if needsHealthCheckNodePort(old) && !needsHealthCheckNodePort(service),
           healthCheckNodePort(service) == healthCheckNodePort(old) {
            service[path: ["spec", "healthCheckNodePort"]] = nil
        }
        let oldType = type(old), newType = type(service)
        if oldType == "LoadBalancer" && newType != "LoadBalancer" {
            for field in ["allocateLoadBalancerNodePorts", "loadBalancerClass"]
            where service[path: ["spec", field]] != nil && service[path: ["spec", field]] == old[path: ["spec", field]] {
                service[path: ["spec", field]] = nil
            }
        }
        let externallyAccessible = { (s: JSONValue) in
            let type = Self.type(s)
            return type == "NodePort" || type == "LoadBalancer"
                || !(s[path: ["spec", "externalIPs"]]?.arrayValue ?? []).isEmpty
        }
        if externallyAccessible(old) && !externallyAccessible(service),
           service[path: ["spec", "externalTrafficPolicy"]] == old[path: ["spec", "externalTrafficPolicy"]] {
            service[path: ["spec", "externalTrafficPolicy"]] = nil
        }
    }
}
