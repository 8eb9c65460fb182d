package import NIOCore
import NIOPosix

/// The TCP side of the server: length-framed messages, several queries per connection answered
/// in order, connections closed after `idleTimeout` without a query.
package struct DNSTCPListener: Sendable {
    let channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    package var localAddress: SocketAddress? { channel.channel.localAddress }

    package static func bind(host: String, port: Int, idleTimeout: Duration = .seconds(10),
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DNSTCPListener {
        let idle = TimeAmount.nanoseconds(Int64(idleTimeout.components.seconds) * 1_000_000_000
                                          + idleTimeout.components.attoseconds / 1_000_000_000)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(DNSSocketOptions.freeBind, value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                    try pipeline.addHandler(DNSIdleCloser())
                    try pipeline.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return DNSTCPListener(channel: channel)
    }

    /// Closes a socket that will not be run (see ``DNSUDPListener/close()``).
    package func close() async {
        try? await channel.executeThenClose { _ in }
    }

    /// Serves connections until the task is cancelled; open connections close with it.
    package func run(_ handler: DNSQueryHandler) async throws {
        try await channel.executeThenClose { connections in
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in connections {
                    group.addTask {
                        try? await connection.executeThenClose { inbound, outbound in
                            for try await message in inbound {
                                let query = Array(message.readableBytesView)
                                guard let response = await handler.respond(to: query, transport: .tcp) else { continue }
                                try await outbound.write(DNSTCPFrameDecoder.frame(response))
                            }
                        }
                    }
                }
            }
        }
        if !Task.isCancelled { throw DNSListenerClosedError(address: "tcp \(localAddress.map(\.description) ?? "?")") }
    }
}
