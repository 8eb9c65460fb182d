import KyvernAPI

/// Routes from this node to the other nodes' pod ranges, through each node's InternalIP: what
/// makes a pod on one node reach a pod on another without an overlay (as flannel's host-gw).
///
/// Kyvern's routes carry their own protocol number, so the ones to remove (a node gone, moved or
/// re-addressed) are found in the kernel without touching anyone else's routes.
struct NodeRoutes: Sendable, Equatable {
    /// iproute2's `proto` for Kyvern's routes (an unassigned number).
    static let routeProtocol = "199"

    /// Pod range → next hop.
    var routes: [String: String]

    /// The routes to every other node that has a pod range and an InternalIP.
    init(nodes: [JSONValue], ownName: String) {
        var routes: [String: String] = [:]
        for node in nodes where node[path: ["metadata", "name"]]?.stringValue != ownName {
            guard let cidr = node[path: ["spec", "podCIDR"]]?.stringValue, let network = IPv4Network(cidr),
                  let address = Self.internalIP(node) else { continue }
            routes[network.description] = address
        }
        self.routes = routes
    }

    init(routes: [String: String]) {
        self.routes = routes
    }

    static func internalIP(_ node: JSONValue) -> String? {
        let addresses = node[path: ["status", "addresses"]]?.arrayValue ?? []
        return addresses.first { $0["type"]?.stringValue == "InternalIP" && IPv4Network.parseAddress($0["address"]?.stringValue ?? "") != nil }?["address"]?.stringValue
    }

    /// Parses `ip -4 route show proto 199` (lines such as `10.42.1.0/24 via 172.20.0.2 dev veth0`).
    static func parse(_ text: String) -> NodeRoutes {
        var routes: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").map(String.init)
            guard let destination = words.first, let via = words.firstIndex(of: "via"), via + 1 < words.count else { continue }
            routes[destination] = words[via + 1]
        }
        return NodeRoutes(routes: routes)
    }

    /// `ip route` argument lists that turn `installed` into `self`.
    func commands(from installed: NodeRoutes) -> [[String]] {
        var commands: [[String]] = []
        for (destination, _) in installed.routes.sorted(by: { $0.key < $1.key }) where routes[destination] == nil {
            commands.append(["-4", "route", "del", destination, "proto", Self.routeProtocol])
        }
        for (destination, via) in routes.sorted(by: { $0.key < $1.key }) where installed.routes[destination] != via {
            commands.append(["-4", "route", "replace", destination, "via", via, "proto", Self.routeProtocol])
        }
        return commands
    }
}
