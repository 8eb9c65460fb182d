package import Logging
package import NIOCore
import NIOPosix
import Synchronization

/// The UDP side of the server: one socket, each datagram answered in its own child task.
package struct DNSUDPListener: Sendable {
    typealias Envelope = AddressedEnvelope<ByteBuffer>
    let channel: NIOAsyncChannel<Envelope, Envelope>

    /// Where the socket is bound (the port chosen when asked for 0).
    package var localAddress: SocketAddress? { channel.channel.localAddress }

    /// Binds the socket; throws when the address is taken or not the machine's.
    package static func bind(host: String, port: Int, logger: Logger = Logger(label: "kyvern.dns"),
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> DNSUDPListener {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(DNSSocketOptions.freeBind, value: 1)
            // EDNS clients may send up to 4096 bytes and more; the default 2 KiB would cut them.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65535))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSErrorLogger(logger: logger))
                    return try NIOAsyncChannel<Envelope, Envelope>(wrappingChannelSynchronously: channel)
                }
            }
        return DNSUDPListener(channel: channel)
    }

    /// Closes a socket that will not be run (a later bind failed): an async channel dropped
    /// without being closed is a fatal error in NIO.
    package func close() async {
        try? await channel.executeThenClose { _, _ in }
    }

    /// Answers datagrams until the task is cancelled, then closes the socket. At most
    /// `maxInFlight` queries are worked on at once; datagrams beyond that are dropped (the client
    /// retries), so a flood cannot grow tasks and upstream sockets without bound.
    package func run(_ handler: DNSQueryHandler, maxInFlight: Int = 1024) async throws {
        let inFlight = DNSInFlightLimit(maxInFlight)
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await envelope in inbound {
                    guard inFlight.enter() else { continue }
                    group.addTask {
                        defer { inFlight.leave() }
                        let query = Array(envelope.data.readableBytesView)
                        guard let response = await handler.respond(to: query, transport: .udp) else { return }
                        try? await outbound.write(Envelope(remoteAddress: envelope.remoteAddress,
                                                           data: ByteBuffer(bytes: response)))
                    }
                }
            }
        }
        if !Task.isCancelled { throw DNSListenerClosedError(address: "udp \(localAddress.map(\.description) ?? "?")") }
    }
}

/// Counts queries being worked on, refusing entry beyond a limit.
final class DNSInFlightLimit: Sendable {
    private let count = Mutex(0)
    let limit: Int

    init(_ limit: Int) {
        self.limit = limit
    }

    func enter() -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() {
        count.withLock { $0 -= 1 }
    }
}
