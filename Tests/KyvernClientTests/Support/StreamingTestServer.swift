import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A plain-HTTP server that answers every request with a chunked 200 carrying `firstChunk`, then
/// keeps the response open forever, as a quiet watch does. It counts connections opened and
/// closed, so a test can see whether the client let go of an abandoned watch.
final class StreamingTestServer: Sendable {
    private let channel: any Channel
    private let counts = Counts()
    let port: Int

    var opened: Int { counts.value.withLock { $0.opened } }
    var closed: Int { counts.value.withLock { $0.closed } }

    final class Counts: Sendable {
        let value = Mutex((opened: 0, closed: 0))
    }

    init(firstChunk: String) async throws {
        let counts = self.counts
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(firstChunk: firstChunk, counts: counts))
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func close() async throws {
        try await channel.close()
    }

    /// Polls (the server's counters change on its event loop) until `condition` holds or `seconds` pass.
    func wait(seconds: Double, until condition: (StreamingTestServer) -> Bool) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + .milliseconds(Int(seconds * 1000))
        while clock.now < end {
            if condition(self) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition(self)
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let firstChunk: String
        let counts: Counts

        init(firstChunk: String, counts: Counts) {
            self.firstChunk = firstChunk
            self.counts = counts
        }

        func channelActive(context: ChannelHandlerContext) {
            counts.value.withLock { $0.opened += 1 }
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            counts.value.withLock { $0.closed += 1 }
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Transfer-Encoding", value: "chunked")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                          promise: nil)
            let body = context.channel.allocator.buffer(string: firstChunk)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
    }
}
