/// One port of one Service, as the proxy and its logs name it: `namespace/name:port`
/// (`namespace/name` for an unnamed port), the string upstream's chain hashes are made from.
package struct ServicePortName: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var namespace: String
    package var name: String
    /// The port's `name` ("" when the Service has one unnamed port).
    package var port: String

    package init(namespace: String, name: String, port: String) {
        self.namespace = namespace
        self.name = name
        self.port = port
    }

    package var description: String {
        port.isEmpty ? "\(namespace)/\(name)" : "\(namespace)/\(name):\(port)"
    }

    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace, lhs.name, lhs.port) < (rhs.namespace, rhs.name, rhs.port)
    }
}

/// The transport protocols a Service port can carry, spelled as iptables wants them.
package enum ProxyProtocol: String, Sendable, Hashable, Comparable {
    case tcp, udp, sctp

    /// From the API's `TCP`/`UDP`/`SCTP` (absent means TCP).
    package init?(apiValue: String?) {
        switch apiValue ?? "TCP" {
        case "TCP": self = .tcp
        case "UDP": self = .udp
        case "SCTP": self = .sctp
        default: return nil
        }
    }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
