/// Where a CRI runtime listens, as `--container-runtime-endpoint` names it.
///
/// Upstream's kubelet accepts `unix:///path` and, for compatibility, a bare absolute path; Kyvern
/// does the same and refuses TCP endpoints, which upstream deprecated for the CRI.
public struct CRIEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The socket's absolute path.
    public var socketPath: String

    /// containerd's default socket, the default of upstream's kubelet too.
    public static let containerdDefault = CRIEndpoint(socketPath: "/run/containerd/containerd.sock")

    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// Parses `unix:///run/containerd/containerd.sock` or `/run/containerd/containerd.sock`.
    public init(parsing text: String) throws(CRIEndpointError) {
        var path = text
        if path.hasPrefix("unix://") {
            path.removeFirst("unix://".count)
        } else if path.contains("://") {
            throw CRIEndpointError(endpoint: text, reason: "only unix:// endpoints are supported")
        }
        guard path.hasPrefix("/") else {
            throw CRIEndpointError(endpoint: text, reason: "the socket path must be absolute")
        }
        socketPath = path
    }

    public var description: String { "unix://\(socketPath)" }
}

/// A `--container-runtime-endpoint` Kyvern cannot use.
public struct CRIEndpointError: Error, Sendable, Hashable, CustomStringConvertible {
    public var endpoint: String
    public var reason: String
    public var description: String { "invalid container runtime endpoint \(endpoint): \(reason)" }
}
