/// Where a matched request goes: a Service port in the Ingress's namespace, by number or by name
/// (`spec.rules[].http.paths[].backend.service.port`).
package struct IngressBackend: Hashable, Sendable, CustomStringConvertible {
    package enum Port: Hashable, Sendable {
        case number(Int)
        case name(String)
    }

    package var namespace: String
    package var service: String
    package var port: Port

    package init(namespace: String, service: String, port: Port) {
        self.namespace = namespace
        self.service = service
        self.port = port
    }

    package var description: String {
        switch port {
        case .number(let number): "\(namespace)/\(service):\(number)"
        case .name(let name): "\(namespace)/\(service):\(name)"
        }
    }
}
