import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A plain-HTTP server that answers requests with a script of responses, in order (the last one
/// repeats), and records the requests it got, for tests of the client's retry behaviour.
final class ScriptedTestServer: Sendable {
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: [(String, String)] = []
        var body: String
    }

    struct Request: Sendable, Hashable {
        var method: String
        var uri: String
        var body: String
        /// The `Authorization` header, if any.
        var authorization: String? = nil
        var userAgent: String? = nil
    }

    private let channel: any Channel
    private let state: State
    let port: Int

    final class State: Sendable {
        let value: Mutex<(script: [Response], requests: [Request])>
        init(_ script: [Response]) { value = Mutex((script, [])) }
    }

    var requests: [Request] { state.value.withLock { $0.requests } }

    init(_ script: [Response]) async throws {
        let state = State(script)
        self.state = state
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state))
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func close() async throws {
        try await channel.close()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let state: State
        var head: HTTPRequestHead?
        var body = ""

        init(state: State) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                let request = Request(method: head?.method.rawValue ?? "", uri: head?.uri ?? "", body: body,
                                      authorization: head?.headers.first(name: "Authorization"),
                                      userAgent: head?.headers.first(name: "User-Agent"))
                let response = state.value.withLock { state in
                    state.requests.append(request)
                    return state.script.count > 1 ? state.script.removeFirst() : state.script[0]
                }
                var headers = HTTPHeaders(response.headers)
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(response.body.utf8.count))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status,
                                                                     headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))),
                              promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
