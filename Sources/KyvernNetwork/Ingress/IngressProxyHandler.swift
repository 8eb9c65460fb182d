import NIOCore
import NIOHTTP1
import NIOPosix

/// One client connection (or one HTTP/2 stream) of the Ingress proxy.
///
/// Each request is routed with the snapshot current when its head arrives. The connection to
/// the endpoint is kept while the client keeps alive and the endpoint stays ready for the same
/// backend; otherwise a new one goes to the next ready endpoint in turn. A refused connection
/// moves on to the next endpoint, and an idempotent request whose reused connection closed before
/// answering is sent again on a new one, so an endpoint leaving causes no failed request.
final class IngressProxyHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        /// Between requests.
        case idle
        /// Answered locally; the rest of the request is dropped.
        case discarding
        /// Waiting for the endpoint connection; the request so far is held.
        case connecting([HTTPClientRequestPart])
        /// Request and response flowing.
        case forwarding
        /// Switched protocols: bytes flow through ``IngressGlueHandler``s.
        case upgraded
    }

    struct Upstream {
        var channel: any Channel
        var endpoint: ProxyEndpoint
        var backend: IngressBackend
        var handler: IngressUpstreamHandler
        /// Whether the current request was sent on a connection used before.
        var reused: Bool
    }

    let store: IngressSnapshotStore
    let metrics: IngressMetrics
    let scheme: String
    let isHTTP2: Bool
    private var context: ChannelHandlerContext?
    private var state = State.idle
    private var upstream: Upstream?
    private var requestHead: HTTPRequestHead?
    private var requestKeepAlive = true
    private var requestUpgrade = false
    private var requestEnded = false
    private var responseStarted = false
    private var upstreamKeepAlive = true
    private var switchingProtocols = false

    init(store: IngressSnapshotStore, metrics: IngressMetrics, scheme: String, isHTTP2: Bool) {
        self.store = store
        self.metrics = metrics
        self.scheme = scheme
        self.isHTTP2 = isHTTP2
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): receive(head, context: context)
        case .body(let buffer): pass(.body(.byteBuffer(buffer)))
        case .end(let trailers):
            requestEnded = true
            pass(.end(trailers))
            if case .discarding = state { finishLocal(context: context) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeUpstream()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeUpstream()
        context.close(promise: nil)
    }

    // MARK: Requests

    private func receive(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        requestHead = head
        requestKeepAlive = head.isKeepAlive
        requestUpgrade = !isHTTP2 && IngressForwardedHead.isUpgrade(head)
        requestEnded = false
        responseStarted = false
        let snapshot = store.current
        let host = head.headers.first(name: "host") ?? head.headers.first(name: ":authority") ?? ""
        guard let backend = snapshot.configuration.routes.match(host: host, target: head.uri) else {
            return answerLocally(.notFound, context: context)
        }
        let endpoints = snapshot.configuration.endpoints[backend] ?? []
        guard !endpoints.isEmpty else { return answerLocally(.serviceUnavailable, context: context) }
        let forwarded = IngressForwardedHead.request(head, clientIP: context.channel.remoteAddress?.ipAddress ?? clientAddress(context),
                                                     scheme: scheme, localPort: localPort(context))
        if var current = upstream, current.backend == backend, current.channel.isActive,
           endpoints.contains(where: { $0.ip == current.endpoint.ip && $0.port == current.endpoint.port }) {
            current.reused = true
            upstream = current
            state = .forwarding
            current.channel.write(HTTPClientRequestPart.head(forwarded), promise: nil)
            return
        }
        closeUpstream()
        state = .connecting([.head(forwarded)])
        let start = store.nextTurn() % endpoints.count
        let order = Array(endpoints[start...] + endpoints[..<start])
        connect(order[...], backend: backend, context: context)
    }

    /// The client's address through an HTTP/2 stream channel (its parent is the connection).
    private func clientAddress(_ context: ChannelHandlerContext) -> String? {
        context.channel.parent?.remoteAddress?.ipAddress
    }

    private func localPort(_ context: ChannelHandlerContext) -> Int? {
        context.channel.localAddress?.port ?? context.channel.parent?.localAddress?.port
    }

    private func pass(_ part: HTTPClientRequestPart) {
        switch state {
        case .connecting(var held):
            held.append(part)
            state = .connecting(held)
        case .forwarding:
            guard let upstream else { return }
            if case .end = part {
                upstream.channel.writeAndFlush(part, promise: nil)
            } else {
                upstream.channel.write(part, promise: nil)
            }
        case .idle, .discarding, .upgraded:
            break
        }
    }

    private func connect(_ endpoints: ArraySlice<ProxyEndpoint>, backend: IngressBackend, context: ChannelHandlerContext) {
        guard let endpoint = endpoints.first else { return answerLocally(.badGateway, context: context) }
        // an address, not a name: no resolver and no Happy Eyeballs on the request path
        guard let address = try? SocketAddress(ipAddress: endpoint.ip, port: endpoint.port) else {
            return connect(endpoints.dropFirst(), backend: backend, context: context)
        }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let future = ClientBootstrap(group: context.eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(3))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(HTTPRequestEncoder(), name: IngressPipelineNames.upstreamEncoder)
                    try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)),
                                        name: IngressPipelineNames.upstreamDecoder)
                    try sync.addHandler(IngressUpstreamHandler(proxy: bound.value), name: IngressPipelineNames.upstream)
                }
            }
            .connect(to: address)
        future.assumeIsolated().whenComplete { result in
            guard case .connecting(let held) = self.state, self.context != nil else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            switch result {
            case .failure:
                self.metrics.upstreamFailed(.connect)
                self.connect(endpoints.dropFirst(), backend: backend, context: context)
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: IngressUpstreamHandler.self) else {
                    channel.close(promise: nil)
                    return self.answerLocally(.badGateway, context: context)
                }
                self.upstream = Upstream(channel: channel, endpoint: endpoint, backend: backend, handler: handler, reused: false)
                self.state = .forwarding
                for part in held { channel.write(part, promise: nil) }
                channel.flush()
            }
        }
    }

    // MARK: Responses

    func upstreamRead(_ part: HTTPClientResponsePart, from handler: IngressUpstreamHandler) {
        guard let context, let upstream, upstream.handler === handler else { return }
        switch part {
        case .head(let head):
            if head.status == .switchingProtocols && requestUpgrade {
                // the switch happens at the 101's end, once the decoder is done with it
                switchingProtocols = true
                metrics.answered(code: head.status.code)
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: head.status,
                                                                              headers: head.headers))), promise: nil)
                return
            }
            guard head.status.code >= 200 else { return }   // 1xx interim answers are not passed on
            responseStarted = true
            metrics.answered(code: head.status.code)
            upstreamKeepAlive = head.isKeepAlive
            let version = requestHead?.version ?? .http1_1
            context.write(wrapOutboundOut(.head(IngressForwardedHead.response(head, version: version, close: !requestKeepAlive))),
                          promise: nil)
        case .body(let buffer):
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        case .end(let trailers):
            if switchingProtocols { return beginUpgrade(context: context, upstream: upstream) }
            guard responseStarted else { return }
            state = requestEnded ? .idle : .discarding
            if !upstreamKeepAlive { closeUpstream() }
            finish(context: context, trailers: trailers)
        }
    }

    func upstreamReadComplete(from handler: IngressUpstreamHandler) {
        guard let context, upstream?.handler === handler else { return }
        context.flush()
    }

    func upstreamClosed(_ handler: IngressUpstreamHandler) {
        guard let context, let current = upstream, current.handler === handler else { return }
        upstream = nil
        guard case .forwarding = state else { return }
        metrics.upstreamFailed(.reset)
        if responseStarted {
            context.close(promise: nil)   // cut off mid-response: the client must not take it as whole
        } else if current.reused, requestEnded, let head = requestHead, [.GET, .HEAD, .OPTIONS].contains(head.method) {
            // A kept-alive connection the endpoint closed as the request went out: send it again.
            let endpoints = store.current.configuration.endpoints[current.backend] ?? []
            let forwarded = IngressForwardedHead.request(head, clientIP: context.channel.remoteAddress?.ipAddress ?? clientAddress(context),
                                                         scheme: scheme, localPort: localPort(context))
            state = .connecting([.head(forwarded), .end(nil)])
            connect(endpoints[...], backend: current.backend, context: context)
        } else {
            answerLocally(.badGateway, context: context)
        }
    }

    private func finish(context: ChannelHandlerContext, trailers: HTTPHeaders?) {
        if requestKeepAlive || isHTTP2 {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    private func answerLocally(_ page: IngressLocalResponse, context: ChannelHandlerContext) {
        closeUpstream()
        state = requestEnded ? .idle : .discarding
        responseStarted = true
        metrics.answered(code: page.status.code)
        let body = context.channel.allocator.buffer(string: page.body)
        var headers = HTTPHeaders([("content-type", "text/html"), ("content-length", String(body.readableBytes))])
        if !requestKeepAlive && !isHTTP2 { headers.add(name: "connection", value: "close") }
        let version = isHTTP2 ? HTTPVersion.http2 : (requestHead?.version ?? .http1_1)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: page.status, headers: headers))), promise: nil)
        if requestHead?.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        finish(context: context, trailers: nil)
    }

    /// The rest of a locally answered request arrived.
    private func finishLocal(context: ChannelHandlerContext) {
        state = .idle
    }

    private func closeUpstream() {
        guard let current = upstream else { return }
        upstream = nil
        current.channel.close(promise: nil)
    }

    // MARK: Upgrade

    /// After `101 Switching Protocols` both connections stop speaking HTTP: the HTTP handlers
    /// leave both pipelines and the bytes after the heads (held by the decoders) flow on.
    private func beginUpgrade(context: ChannelHandlerContext, upstream: Upstream) {
        state = .upgraded
        let (down, up) = IngressGlueHandler.pair()
        do {
            let downstream = context.pipeline.syncOperations
            let remote = upstream.channel.pipeline.syncOperations
            try downstream.addHandler(down)
            try remote.addHandler(up)
            remote.removeHandler(name: IngressPipelineNames.upstream, promise: nil)
            remote.removeHandler(name: IngressPipelineNames.upstreamEncoder, promise: nil)
            remote.removeHandler(name: IngressPipelineNames.upstreamDecoder, promise: nil)
            downstream.removeHandler(context: context, promise: nil)
            downstream.removeHandler(name: IngressPipelineNames.pipelining, promise: nil)
            downstream.removeHandler(name: IngressPipelineNames.encoder, promise: nil)
            downstream.removeHandler(name: IngressPipelineNames.decoder, promise: nil)
            self.upstream = nil
        } catch {
            upstream.channel.close(promise: nil)
            context.close(promise: nil)
        }
    }
}

/// The endpoint side of one proxied connection: hands what the endpoint sends to the
/// ``IngressProxyHandler`` that opened it (both run on the same event loop).
final class IngressUpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private weak var proxy: IngressProxyHandler?

    init(proxy: IngressProxyHandler) { self.proxy = proxy }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        proxy?.upstreamRead(unwrapInboundIn(data), from: self)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        proxy?.upstreamReadComplete(from: self)
    }

    func channelInactive(context: ChannelHandlerContext) {
        proxy?.upstreamClosed(self)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Names of the handlers an upgrade removes.
enum IngressPipelineNames {
    static let decoder = "ingress-http-decoder"
    static let encoder = "ingress-http-encoder"
    static let pipelining = "ingress-http-pipelining"
    static let upstreamEncoder = "ingress-upstream-encoder"
    static let upstreamDecoder = "ingress-upstream-decoder"
    static let upstream = "ingress-upstream"
}
