public import KyvernAPI

/// A host port a container claims on its node; two pods conflict when protocol and port match
/// and either binds all addresses or both bind the same address.
public struct HostPort: Sendable, Hashable {
    public var ip: String
    public var proto: String
    public var port: Int64

    public init(ip: String = "0.0.0.0", proto: String = "TCP", port: Int64) {
        self.ip = ip.isEmpty ? "0.0.0.0" : ip
        self.proto = proto.isEmpty ? "TCP" : proto
        self.port = port
    }

    public func conflicts(with other: HostPort) -> Bool {
        guard proto == other.proto, port == other.port else { return false }
        return ip == other.ip || ip == "0.0.0.0" || other.ip == "0.0.0.0"
    }

    /// The host ports a pod holds while running: its containers' and its sidecars' (restartable
    /// init containers keep running); a run-to-completion init container's ports are released
    /// before the pod's containers start.
    public static func of(pod: JSONValue) -> [HostPort] {
        let sidecars = (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
            .filter { $0["restartPolicy"]?.stringValue == "Always" }
        let containers = sidecars + (pod[path: ["spec", "containers"]]?.arrayValue ?? [])
        return containers.flatMap { container in
            (container["ports"]?.arrayValue ?? []).compactMap { port -> HostPort? in
                guard let hostPort = port["hostPort"]?.intValue, hostPort > 0 else { return nil }
                return HostPort(ip: port["hostIP"]?.stringValue ?? "",
                                proto: port["protocol"]?.stringValue ?? "", port: hostPort)
            }
        }
    }
}
