/// The client address of the connection a request arrived on, for the audit log's `sourceIPs`.
enum ConnectionPeer {
    @TaskLocal static var address: String?
}
