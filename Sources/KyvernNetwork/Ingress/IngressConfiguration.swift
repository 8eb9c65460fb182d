package import KyvernAPI

/// Everything the proxy serves, computed from the cluster's objects in pure code: the route
/// table, the ready endpoints of each backend, and which TLS Secret answers which host.
package struct IngressConfiguration: Hashable, Sendable {
    /// A TLS Secret by namespace and name.
    package struct SecretKey: Hashable, Sendable, CustomStringConvertible {
        package var namespace: String
        package var name: String
        package init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }
        package var description: String { "\(namespace)/\(name)" }
    }

    package var routes = IngressRouteTable()
    /// Ready endpoints (`ip:port`) of each backend; a backend absent or empty answers 503.
    package var endpoints: [IngressBackend: [ProxyEndpoint]] = [:]
    /// TLS host (exact or `*.suffix`) → its Secret; the first Ingress (oldest) naming a host wins.
    package var tlsHosts: [String: SecretKey] = [:]
    /// The Ingresses served, `namespace/name`.
    package var served: [String] = []

    package init() {}

    /// Builds the configuration. Ingresses are taken oldest first (then by namespace and name),
    /// so conflicts resolve as upstream controllers resolve them.
    package static func build(ingresses: [JSONValue], selection: IngressClassSelection, services: [JSONValue],
                              slices: [JSONValue]) -> IngressConfiguration {
        var configuration = IngressConfiguration()
        let ordered = ingresses.filter { selection.serves($0) && $0.deletionTimestamp == nil }.sorted(by: olderFirst)
        for ingress in ordered {
            let namespace = ingress.namespace ?? "default"
            configuration.served.append("\(namespace)/\(ingress.name ?? "")")
            let spec = ingress["spec"]
            if configuration.routes.defaultBackend == nil,
               let backend = spec?["defaultBackend"].flatMap({ backendOf($0, namespace: namespace) }) {
                configuration.routes.defaultBackend = backend
            }
            for rule in spec?["rules"]?.arrayValue ?? [] {
                let host = rule["host"]?.stringValue
                for path in rule[path: ["http", "paths"]]?.arrayValue ?? [] {
                    guard let backend = path["backend"].flatMap({ backendOf($0, namespace: namespace) }),
                          let pathRule = IngressPathRule(pathType: path["pathType"]?.stringValue,
                                                         path: path["path"]?.stringValue ?? "/", backend: backend)
                    else { continue }
                    configuration.routes.add(host: host, rule: pathRule)
                }
            }
            for tls in spec?["tls"]?.arrayValue ?? [] {
                guard let secret = tls["secretName"]?.stringValue, !secret.isEmpty else { continue }
                for host in tls["hosts"]?.arrayValue?.compactMap(\.stringValue) ?? [] where configuration.tlsHosts[host.lowercased()] == nil {
                    configuration.tlsHosts[host.lowercased()] = SecretKey(namespace: namespace, name: secret)
                }
            }
        }
        let servicesByKey = Dictionary(services.map { ("\($0.namespace ?? "")/\($0.name ?? "")", $0) }, uniquingKeysWith: { a, _ in a })
        var slicesByService: [String: [JSONValue]] = [:]
        for slice in slices {
            guard let service = slice.labels[EndpointSliceMerge.serviceNameLabel] else { continue }
            slicesByService["\(slice.namespace ?? "")/\(service)", default: []].append(slice)
        }
        for backend in configuration.routes.backends {
            let key = "\(backend.namespace)/\(backend.service)"
            guard let service = servicesByKey[key], let port = servicePort(of: service, backend.port) else { continue }
            let spec = ServicePortSpec(name: ServicePortName(namespace: backend.namespace, name: backend.service, port: port),
                                       proto: .tcp, clusterIPs: [], port: 0)
            let ready = EndpointSliceMerge.endpoints(for: spec, slices: slicesByService[key] ?? []).filter(\.ready)
            if !ready.isEmpty { configuration.endpoints[backend] = ready }
        }
        return configuration
    }

    /// The Secret for a TLS server name: the exact host, else a wildcard one label up.
    package func secret(forServerName name: String) -> SecretKey? {
        let host = name.lowercased()
        if let exact = tlsHosts[host] { return exact }
        guard let dot = host.firstIndex(of: ".") else { return nil }
        return tlsHosts["*" + host[dot...]]
    }

    /// The TLS Secrets in use.
    package var secrets: Set<SecretKey> { Set(tlsHosts.values) }

    static func backendOf(_ backend: JSONValue, namespace: String) -> IngressBackend? {
        guard let service = backend["service"], let name = service["name"]?.stringValue else { return nil }
        if let number = service[path: ["port", "number"]]?.intValue {
            return IngressBackend(namespace: namespace, service: name, port: .number(Int(number)))
        }
        if let portName = service[path: ["port", "name"]]?.stringValue {
            return IngressBackend(namespace: namespace, service: name, port: .name(portName))
        }
        return nil
    }

    /// The name of the Service's TCP port the backend means (by number or name), which names
    /// the EndpointSlice port; nil when the Service has no such port.
    static func servicePort(of service: JSONValue, _ port: IngressBackend.Port) -> String? {
        for entry in service[path: ["spec", "ports"]]?.arrayValue ?? [] {
            guard (entry["protocol"]?.stringValue ?? "TCP") == "TCP" else { continue }
            let name = entry["name"]?.stringValue ?? ""
            switch port {
            case .number(let number) where entry["port"]?.intValue == Int64(number): return name
            case .name(let wanted) where name == wanted: return name
            default: continue
            }
        }
        return nil
    }

    static func olderFirst(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        let (l, r) = (lhs.creationTimestamp ?? "", rhs.creationTimestamp ?? "")
        if l != r { return l < r }
        return (lhs.namespace ?? "", lhs.name ?? "") < (rhs.namespace ?? "", rhs.name ?? "")
    }
}
