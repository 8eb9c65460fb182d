import KyvernAPI

/// Services, Endpoints, EndpointSlices, Ingresses, IngressClasses, NetworkPolicies, ServiceCIDRs
/// and IPAddresses.
enum NetworkPrinters {
    static func service(_ s: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = s["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        let clusterIP = spec.list("clusterIPs").first?.stringValue ?? spec["clusterIP"]?.stringValue ?? "<none>"
        let ports = spec.list("ports").map { port -> String in
            let proto = port["protocol"]?.stringValue ?? "TCP"
            let nodePort = port.number("nodePort")
            return nodePort > 0 ? "\(port.number("port")):\(nodePort)/\(proto)" : "\(port.number("port"))/\(proto)"
        }.joined(separator: ",")
        return PrintedRow(cells: [
            .string(s.printedName), .string(type), .string(clusterIP.isEmpty ? "<none>" : clusterIP),
            .string(externalIP(s, type: type)), .string(ports.isEmpty ? "<none>" : ports), .string(context.age(s)),
            .string(PrintFormat.labels(spec["selector"])),
        ])
    }

    /// EXTERNAL-IP by type: external IPs, a load balancer's ingress points ("<pending>" before it
    /// has any), or the external name.
    static func externalIP(_ s: JSONValue, type: String) -> String {
        let external = s.list("spec", "externalIPs").compactMap(\.stringValue)
        switch type {
        case "ClusterIP", "NodePort":
            return external.isEmpty ? "<none>" : external.joined(separator: ",")
        case "LoadBalancer":
            let ingress = loadBalancerIngress(s.list("status", "loadBalancer", "ingress"))
            if !external.isEmpty { return (ingress + external).joined(separator: ",") }
            return ingress.isEmpty ? "<pending>" : ingress.joined(separator: ",")
        case "ExternalName":
            return s.text("spec", "externalName")
        default:
            return "<unknown>"
        }
    }

    /// Each ingress point's IP, else its hostname; a sorted set, as upstream prints them.
    static func loadBalancerIngress(_ ingress: [JSONValue]) -> [String] {
        var points: Set<String> = []
        for point in ingress {
            if let ip = point["ip"]?.stringValue, !ip.isEmpty {
                points.insert(ip)
            } else if let host = point["hostname"]?.stringValue, !host.isEmpty {
                points.insert(host)
            }
        }
        return points.sorted()
    }

    /// ENDPOINTS: the first three `ip:port` pairs, then " + N more...", "<none>" without subsets.
    static func endpoints(_ e: JSONValue, _ context: PrintContext) -> PrintedRow {
        let subsets = e.list("subsets")
        var text = "<none>"
        if !subsets.isEmpty {
            let max = 3
            var list: [String] = []
            var count = 0
            var more = false
            for subset in subsets {
                let addresses = subset.list("addresses").map { $0.text("ip") }
                let ports = subset.list("ports")
                if ports.isEmpty {
                    count += addresses.count
                    for address in addresses {
                        if list.count == max { more = true; break }
                        list.append(address)
                    }
                    continue
                }
                for port in ports {
                    count += addresses.count
                    for address in addresses {
                        if list.count == max { more = true; break }
                        list.append(PrintFormat.hostPort(address, port.number("port")))
                    }
                }
            }
            text = list.joined(separator: ",")
            if more { text += " + \(count - max) more..." }
        }
        return PrintedRow(cells: [.string(e.printedName), .string(text), .string(context.age(e))])
    }

    static func endpointSlice(_ e: JSONValue, _ context: PrintContext) -> PrintedRow {
        let ports = e.list("ports").map { port -> String in
            if let number = port["port"]?.intValue { return String(number) }
            return port["name"]?.stringValue ?? "*"
        }
        let addresses = e.list("endpoints").flatMap { $0.list("addresses").compactMap(\.stringValue) }
        return PrintedRow(cells: [
            .string(e.printedName), .string(e.text("addressType")), .string(PrintFormat.listWithMore(ports, max: 3)),
            .string(PrintFormat.listWithMore(addresses, max: 3)), .string(context.age(e)),
        ])
    }

    static func ingress(_ i: JSONValue, _ context: PrintContext) -> PrintedRow {
        let spec = i["spec"] ?? [:]
        let rules = spec.list("rules")
        var hosts: [String] = []
        // the first hosts among the first three rules, then how many rules more
        for rule in rules.prefix(3) {
            if let host = rule["host"]?.stringValue, !host.isEmpty { hosts.append(host) }
        }
        var hostText = hosts.isEmpty ? "*" : hosts.joined(separator: ",")
        if rules.count > 3, hosts.count == 3 { hostText += " + \(rules.count - 3) more..." }
        let address = loadBalancerIngress(i.list("status", "loadBalancer", "ingress")).joined(separator: ",")
        return PrintedRow(cells: [
            .string(i.printedName), .string(spec["ingressClassName"]?.stringValue ?? "<none>"), .string(hostText),
            .string(address), .string(spec.count("tls") > 0 ? "80, 443" : "80"), .string(context.age(i)),
        ])
    }

    static func ingressClass(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        var parameters = "<none>"
        if let p = c.at("spec", "parameters"), !p.isNull {
            // a present apiGroup adds ".group", even an empty one
            let group = p["apiGroup"]?.stringValue.map { ".\($0)" } ?? ""
            parameters = "\(p.text("kind"))\(group)/\(p.text("name"))"
        }
        return PrintedRow(cells: [.string(c.printedName), .string(c.text("spec", "controller")), .string(parameters), .string(context.age(c))])
    }

    static func networkPolicy(_ n: JSONValue, _ context: PrintContext) -> PrintedRow {
        PrintedRow(cells: [.string(n.printedName), .string(PrintFormat.selector(n.at("spec", "podSelector") ?? [:])), .string(context.age(n))])
    }

    static func serviceCIDR(_ c: JSONValue, _ context: PrintContext) -> PrintedRow {
        let cidrs = c.list("spec", "cidrs").compactMap(\.stringValue).joined(separator: ",")
        return PrintedRow(cells: [.string(c.printedName), .string(cidrs), .string(context.age(c))])
    }

    static func ipAddress(_ a: JSONValue, _ context: PrintContext) -> PrintedRow {
        var parent = "<none>"
        if let ref = a.at("spec", "parentRef"), !ref.isNull {
            let group = ref.text("group")
            parent = (group.isEmpty ? ref.text("resource") : "\(ref.text("resource")).\(group)").lowercased()
            if !ref.text("namespace").isEmpty { parent += "/" + ref.text("namespace") }
            parent += "/" + ref.text("name")
        }
        return PrintedRow(cells: [.string(a.printedName), .string(parent)])
    }
}
