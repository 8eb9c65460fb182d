package import NIOCore
import NIOPosix

/// The UDP side of the server: one socket, each datagram answered in its own child task.
package struct DNSUDPListener: Sendable {
    typealias Envelope = AddressedEnvelope<ByteBuffer>
    let channel: NIOAsyncChannel<Envelope, Envelope>

    /// Where the socket is bound (the port chosen when asked for 0).
    package var localAddress: SocketAddress? { channel.channel.localAddress }

    /// Binds the socket; throws when the address is taken or not the machine's.
    package static func bind(host: String, port: Int,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DNSUDPListener {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // EDNS clients may send up to 4096 bytes and more; the default 2 KiB would cut them.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65535))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<Envelope, Envelope>(wrappingChannelSynchronously: channel)
                }
            }
        return DNSUDPListener(channel: channel)
    }

    /// Answers datagrams until the task is cancelled, then closes the socket.
    package func run(_ handler: DNSQueryHandler) async throws {
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await envelope in inbound {
                    group.addTask {
                        let query = Array(envelope.data.readableBytesView)
                        guard let response = await handler.respond(to: query, transport: .udp) else { return }
                        try? await outbound.write(Envelope(remoteAddress: envelope.remoteAddress,
                                                           data: ByteBuffer(bytes: response)))
                    }
                }
            }
        }
    }
}
