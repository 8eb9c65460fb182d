/// The pods' bridge with its gateway address, made before the first pod so that what listens on
/// it (the node's DNS server) can start at once; the CNI bridge plugin then finds it ready.
/// Also routes the Service range to it: traffic to a virtual IP must not leave by the default
/// route before the proxy's rules rewrite it.
enum NodeBridge {
    static func ensure(name: String, podRange: IPv4Network, serviceRange: IPv4Network?) async throws {
        let links = try await IPCommand.run(["-o", "link", "show"])
        if !links.split(separator: "\n").contains(where: { $0.contains(" \(name): ") || $0.contains(" \(name)@") }) {
            try await IPCommand.run(["link", "add", name, "type", "bridge"])
        }
        let address = "\(podRange.gateway)/\(podRange.prefixLength)"
        let addresses = try await IPCommand.run(["-4", "-o", "addr", "show", "dev", name])
        if !addresses.contains(" \(address) ") {
            try await IPCommand.run(["addr", "replace", address, "dev", name])
        }
        try await IPCommand.run(["link", "set", name, "up"])
        if let serviceRange {
            try await IPCommand.run(["-4", "route", "replace", serviceRange.description, "dev", name, "proto", NodeRoutes.routeProtocol])
        }
    }
}
