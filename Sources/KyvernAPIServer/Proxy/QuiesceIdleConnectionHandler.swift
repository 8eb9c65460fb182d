import NIOCore

/// Closes a connection that is asked to quiesce before it has carried a single byte of request.
///
/// Hummingbird's HTTP/1.1 pipeline learns of a graceful shutdown only once the first request
/// has arrived and its connection-state handler is installed; a client that opened a connection
/// and never used it (a pooled connection whose request was cancelled, a TLS handshake still in
/// progress) would otherwise hold the server's shutdown open. After the first read the protocol's
/// own handlers take over, so this one removes itself.
final class QuiesceIdleConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
