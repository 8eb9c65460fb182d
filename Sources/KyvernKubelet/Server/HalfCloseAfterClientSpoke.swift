import NIOCore

/// Holds back a stream session's half-close until the client has sent something.
///
/// The WebSocket server half-closes a connection's output (a TLS `close_notify`) as soon as it
/// has sent its close frame. When that end reaches an API server whose WebSocket client is still
/// finishing the upgrade, together with the `101` and the session's messages, the messages are
/// lost: SwiftNIO's HTTP decoder drops the bytes that follow a `101` when it sees the connection's
/// end before it is out of the pipeline. A session that fails at once (a port-forward to a port
/// nothing listens on) sends everything within milliseconds, so this happened to about one in
/// twenty such sessions on a loaded machine. A client sends only once its upgrade is done, so
/// anything it sent (the API server sends a ping, or the port prefix, at once) says the end can
/// go out safely.
final class HalfCloseAfterClientSpoke: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private var clientSpoke = false
    /// A half-close asked for before the client spoke, and its promise.
    private var held: EventLoopPromise<Void>??

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !clientSpoke {
            clientSpoke = true
            if let promise = held {
                held = nil
                context.close(mode: .output, promise: promise)
            }
        }
        context.fireChannelRead(data)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output where !clientSpoke:
            if let earlier = held, let earlier { promise?.futureResult.cascade(to: earlier) }
            held = .some(promise)
        default:
            if let promise = held {
                held = nil
                promise?.succeed(())
            }
            context.close(mode: mode, promise: promise)
        }
    }
}
