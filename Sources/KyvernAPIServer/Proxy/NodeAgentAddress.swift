import KyvernAPI

/// Where a node's agent listens: its InternalIP (else its first address) and
/// `status.daemonEndpoints.kubeletEndpoint.Port`, as upstream's connection info getter picks them.
struct NodeAgentAddress: Sendable, Hashable {
    var host: String
    var port: Int

    static func of(node: JSONValue) throws -> NodeAgentAddress {
        let name = node[path: ["metadata", "name"]]?.stringValue ?? ""
        let addresses = node[path: ["status", "addresses"]]?.arrayValue ?? []
        let preferred = ["InternalIP", "ExternalIP", "Hostname"]
        var host: String?
        for type in preferred {
            if let match = addresses.first(where: { $0[path: ["type"]]?.stringValue == type }) {
                host = match[path: ["address"]]?.stringValue
                break
            }
        }
        guard let host, !host.isEmpty else {
            throw APIError.badRequest("no preferred addresses found; known addresses: [] for node \(name)")
        }
        let port = node[path: ["status", "daemonEndpoints", "kubeletEndpoint", "Port"]]?.intValue ?? 0
        guard port > 0 else {
            throw APIError.badRequest("node \(name) does not report a kubelet port")
        }
        return NodeAgentAddress(host: host, port: Int(port))
    }

    /// `https://host:port`, bracketing IPv6 literals.
    var baseURL: String { host.contains(":") ? "https://[\(host)]:\(port)" : "https://\(host):\(port)" }
    var webSocketBaseURL: String { host.contains(":") ? "wss://[\(host)]:\(port)" : "wss://\(host):\(port)" }
}
