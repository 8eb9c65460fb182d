import NIOCore

/// Socket options of the listening sockets.
enum DNSSocketOptions {
    /// IP_FREEBIND (Linux): bind to an address the machine does not hold yet. The node's DNS
    /// listens on its bridge address, which exists only once the CNI bridge is made for the first
    /// pod; with this the server starts first and receives queries as soon as the address appears.
    static var freeBind: ChannelOptions.Types.SocketOption {
        ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: 15))
    }
}
