import NIOCore
import NIOHTTP1

/// The endpoint side of one proxied connection: hands what the endpoint sends to the
/// ``IngressProxyHandler`` that opened it (both run on the same event loop), and stops reading
/// from the endpoint while the client cannot take more (backpressure for streamed responses).
final class IngressUpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private weak var proxy: IngressProxyHandler?
    private let normalizer: IngressResponseHeadNormalizer
    private var context: ChannelHandlerContext?
    /// A read the channel asked for while the client was not writable.
    private var readHeld = false

    init(proxy: IngressProxyHandler, normalizer: IngressResponseHeadNormalizer) {
        self.proxy = proxy
        self.normalizer = normalizer
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .end = part { normalizer.expectHead() }
        proxy?.upstreamRead(part, from: self)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        proxy?.upstreamReadComplete(from: self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { proxy?.upstreamBecameWritable(self) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        proxy?.upstreamClosed(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if proxy?.clientWritable == false {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// The client drained: read from the endpoint again if a read was held.
    func resumeReading() {
        guard readHeld, let context else { return }
        readHeld = false
        context.read()
    }
}

/// Names of the handlers an upgrade removes.
enum IngressPipelineNames {
    static let decoder = "ingress-http-decoder"
    static let encoder = "ingress-http-encoder"
    static let upstreamEncoder = "ingress-upstream-encoder"
    static let upstreamDecoder = "ingress-upstream-decoder"
    static let upstreamNormalizer = "ingress-upstream-normalizer"
    static let upstream = "ingress-upstream"
}
