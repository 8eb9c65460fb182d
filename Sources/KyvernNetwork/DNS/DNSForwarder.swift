package import Logging
package import NIOCore
import NIOPosix

/// Sends questions the cluster does not own to the node's resolvers, as CoreDNS's `forward`
/// plugin does: each upstream in turn, UDP first with a fresh id and socket (so answers cannot be
/// spoofed by guessing either), again over TCP when the UDP answer is truncated, TCP at once for
/// a client that asked over TCP; nil (SERVFAIL) when every upstream failed.
package struct DNSForwarder: Sendable {
    package let upstreams: [SocketAddress]
    let timeout: Duration
    let group: any EventLoopGroup
    let metrics: DNSMetrics
    let logger: Logger

    package init(upstreams: [SocketAddress], timeout: Duration = .seconds(2),
                 group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, metrics: DNSMetrics, logger: Logger) {
        self.upstreams = upstreams
        self.timeout = timeout
        self.group = group
        self.metrics = metrics
        self.logger = logger
    }

    /// The first upstream answer to `query`, with the query's id; nil when none answered.
    package func forward(_ query: DNSMessage, transport: DNSTransport) async -> [UInt8]? {
        var outgoing = query
        outgoing.id = UInt16.random(in: 0...UInt16.max)
        let bytes = outgoing.encoded()
        for upstream in upstreams {
            do {
                var answer: [UInt8]
                if transport == .udp {
                    answer = try await exchange(bytes, id: outgoing.id, question: query.questions, with: upstream, tcp: false)
                    if answer[2] & 0x02 != 0 {
                        metrics.forward("truncated_retry")
                        answer = try await exchange(bytes, id: outgoing.id, question: query.questions, with: upstream, tcp: true)
                    }
                } else {
                    answer = try await exchange(bytes, id: outgoing.id, question: query.questions, with: upstream, tcp: true)
                }
                answer[0] = UInt8(query.id >> 8)
                answer[1] = UInt8(query.id & 0xFF)
                metrics.forward("success")
                return answer
            } catch {
                metrics.forward("failure")
                logger.warning("upstream DNS server failed", metadata: [
                    "upstream": "\(upstream)", "name": "\(query.questions.first?.name.description ?? "")",
                    "error": "\(error)",
                ])
            }
        }
        return nil
    }

    /// One query and its answer over one transport, checked to be the answer to this question.
    private func exchange(_ bytes: [UInt8], id: UInt16, question: [DNSQuestion], with upstream: SocketAddress,
                          tcp: Bool) async throws -> [UInt8] {
        let answer = try await withDNSTimeout(timeout) { [group] in
            tcp ? try await Self.tcpExchange(bytes, upstream: upstream, group: group)
                : try await Self.udpExchange(bytes, id: id, upstream: upstream, group: group)
        }
        let response = try DNSMessage(decoding: answer)
        guard response.id == id, response.isResponse, response.questions == question else {
            throw DNSWireError("upstream answered another question")
        }
        return answer
    }

    static func udpExchange(_ bytes: [UInt8], id: UInt16, upstream: SocketAddress,
                                    group: any EventLoopGroup) async throws -> [UInt8] {
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65535))
            .bind(host: upstream.protocol == .inet6 ? "::" : "0.0.0.0", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: upstream, data: ByteBuffer(bytes: bytes)))
            for try await envelope in inbound {
                // Ignore datagrams from elsewhere or with another id; keep waiting until the timeout.
                guard envelope.remoteAddress == upstream, envelope.data.readableBytes >= 12,
                      envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt16.self) == id else { continue }
                return Array(envelope.data.readableBytesView)
            }
            throw DNSTimeoutError()
        }
    }

    static func tcpExchange(_ bytes: [UInt8], upstream: SocketAddress,
                                    group: any EventLoopGroup) async throws -> [UInt8] {
        let channel = try await ClientBootstrap(group: group)
            .connect(to: upstream) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(DNSTCPFrameDecoder.frame(bytes))
            for try await message in inbound {
                return Array(message.readableBytesView)
            }
            throw DNSWireError("upstream closed the TCP connection without answering")
        }
    }
}
