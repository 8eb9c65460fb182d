/// Where and how the agent's HTTPS endpoint listens, and whom it lets in.
public struct KubeletServerConfiguration: Sendable {
    public var bindAddress: String
    /// 10250 as upstream; 0 picks a free port (tests), reported through `onRunning`.
    public var port: Int
    public var identity: ServingIdentity
    /// The bearer token the API server presents (the node join token); every path but `/healthz`
    /// requires it.
    public var token: String
    public var nodeName: String

    public init(bindAddress: String = "0.0.0.0", port: Int = 10250, identity: ServingIdentity, token: String, nodeName: String) {
        self.bindAddress = bindAddress
        self.port = port
        self.identity = identity
        self.token = token
        self.nodeName = nodeName
    }
}
