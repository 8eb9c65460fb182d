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
///
/// Reading from the client goes on while a response is in flight (stopping and restarting it
/// costs two `epoll_ctl` per request); it stops only when something would pile up in memory: a
/// pipelined request waiting its turn, a request body while the endpoint connection is being made,
/// or a body the endpoint is not taking (its socket not writable). ``IngressUpstreamHandler`` does
/// the same the other way for response bodies.
final class IngressProxyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
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
    /// Parts of pipelined requests that arrived before the response in flight ended.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    private var draining = false
    /// A read the channel asked for while reading had to wait.
    private var readHeld = false
    /// The client's address and the local port as header values, made once per connection.
    private var addresses: (clientIP: String?, localPort: String?)?
    /// Request parts written to the endpoint and not flushed yet (flushed at the end of a read).
    private var upstreamUnflushed = false
    /// Whether the response in flight announced its length: then its parts are held until it ends
    /// (or ``flushThreshold`` bytes wait), so a head and a body the endpoint wrote apart go to the
    /// client in one write. A response of unknown length (streamed, chunked) is passed on at once.
    private var responseHasLength = false
    /// Response bytes written to the client and not flushed yet (zeroed when a response ends).
    private var responseUnflushed = 0
    /// Below the channel's default high watermark (64 KiB), so held bytes never make the client
    /// look unwritable, which would stop reading from the endpoint with nothing left to flush.
    static let flushThreshold = 32 << 10

    init(store: IngressSnapshotStore, metrics: IngressMetrics, scheme: String, isHTTP2: Bool) {
        self.store = store
        self.metrics = metrics
        self.scheme = scheme
        self.isHTTP2 = isHTTP2
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
        if !queued.isEmpty || waits(part) {
            queued.append(part)
        } else {
            handle(part, context: context)
        }
    }

    /// A read from the client ended: what it gave the endpoint goes out now, once per read rather
    /// than once per part. Without this flush a request body larger than the endpoint socket's
    /// high watermark would sit unflushed, the socket would stay unwritable and reading would
    /// never resume.
    func channelReadComplete(context: ChannelHandlerContext) {
        if upstreamUnflushed {
            upstreamUnflushed = false
            upstream?.channel.flush()
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeUpstream()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { upstream?.handler.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeUpstream()
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if mustWait {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Whether the client can take more of the response now.
    var clientWritable: Bool { context?.channel.isWritable ?? true }

    // MARK: Reading and pipelining

    /// A request head while another request is still being answered waits its turn.
    private func waits(_ part: HTTPServerRequestPart) -> Bool {
        guard case .head = part else { return false }
        if case .idle = state { return false }
        return true
    }

    /// Whether reading from the client must pause (see the type's comment).
    private var mustWait: Bool {
        if !queued.isEmpty { return true }
        switch state {
        case .connecting: return !requestEnded
        case .forwarding: return !requestEnded && upstream.map { !$0.channel.isWritable } ?? false
        case .idle, .discarding, .upgraded: return false
        }
    }

    /// Reads again if a read was held and nothing makes it wait any more.
    private func resumeReading(context: ChannelHandlerContext) {
        guard readHeld, !mustWait else { return }
        readHeld = false
        context.read()
    }

    /// A response ended: the pipelined requests waiting go on, then reading resumes.
    private func responseEnded(context: ChannelHandlerContext) {
        if !draining {
            draining = true
            while let part = queued.first, !waits(part), self.context != nil {
                queued.removeFirst()
                handle(part, context: context)
            }
            draining = false
        }
        resumeReading(context: context)
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head): receive(head, context: context)
        case .body(let buffer): pass(.body(.byteBuffer(buffer)))
        case .end(let trailers):
            requestEnded = true
            pass(.end(trailers))
            if case .discarding = state { finishLocal(context: context) }
        }
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
        let forwarded = forward(head, context: context)
        if var current = upstream, current.backend == backend, current.channel.isActive,
           endpoints.contains(where: { $0.ip == current.endpoint.ip && $0.port == current.endpoint.port }) {
            current.reused = true
            upstream = current
            state = .forwarding
            upstreamUnflushed = true
            current.channel.write(HTTPClientRequestPart.head(forwarded), promise: nil)
            return
        }
        closeUpstream()
        state = .connecting([.head(forwarded)])
        connect(endpoints, from: store.nextTurn(), left: endpoints.count, backend: backend, context: context)
    }

    /// The head as sent to the endpoint.
    private func forward(_ head: HTTPRequestHead, context: ChannelHandlerContext) -> HTTPRequestHead {
        if addresses == nil {
            // through an HTTP/2 stream channel, the connection is its parent
            let channel = context.channel
            addresses = (clientIP: (channel.remoteAddress ?? channel.parent?.remoteAddress)?.ipAddress,
                         localPort: (channel.localAddress?.port ?? channel.parent?.localAddress?.port).map { String($0) })
        }
        let addresses = self.addresses ?? (nil, nil)
        return IngressForwardedHead.request(head, clientIP: addresses.clientIP, scheme: scheme, localPort: addresses.localPort)
    }

    private func pass(_ part: HTTPClientRequestPart) {
        switch state {
        case .connecting(var held):
            state = .idle   // not to copy `held` on append
            held.append(part)
            state = .connecting(held)
        case .forwarding:
            guard let upstream else { return }
            if case .end = part {
                upstreamUnflushed = false
                upstream.channel.writeAndFlush(part, promise: nil)
            } else {
                upstreamUnflushed = true
                upstream.channel.write(part, promise: nil)
            }
        case .idle, .discarding, .upgraded:
            break
        }
    }

    /// One connection attempt: whether it ended, and whether a second attempt was started beside it.
    private final class ConnectAttempt {
        var ended = false
        var hedged = false
    }

    /// How long a connection attempt may go unanswered before a second one starts beside it. An
    /// endpoint on the cluster network answers a SYN in well under a millisecond; silence means
    /// the SYN was dropped (the pod's accept backlog full), and the kernel would send it again only
    /// after a second. The first attempt to succeed serves the request; the other is closed.
    static let hedgeDelay = TimeAmount.milliseconds(200)

    /// Attempts in flight for the current request, and which request they are for.
    private var attemptsInFlight = 0
    private var connectGeneration = 0

    /// Starts connecting for a new request to `endpoints[from % count]` (see ``attempt``).
    private func connect(_ endpoints: [ProxyEndpoint], from start: Int, left: Int, backend: IngressBackend,
                         context: ChannelHandlerContext) {
        connectGeneration &+= 1
        attemptsInFlight = 0
        attempt(endpoints, from: start, left: left, backend: backend, context: context)
    }

    /// Connects to `endpoints[from % count]`, moving on to the next on failure or, beside it, when
    /// it goes unanswered for ``hedgeDelay``; `left` attempts in all. Answers 502 once none is left.
    private func attempt(_ endpoints: [ProxyEndpoint], from start: Int, left: Int, backend: IngressBackend,
                         context: ChannelHandlerContext) {
        guard left > 0, !endpoints.isEmpty else {
            if attemptsInFlight == 0 { answerLocally(.badGateway, context: context) }
            return
        }
        let endpoint = endpoints[start % endpoints.count]
        let generation = connectGeneration
        let next = { self.attempt(endpoints, from: start + 1, left: left - 1, backend: backend, context: context) }
        // an address, not a name: no resolver and no Happy Eyeballs on the request path
        guard let address = try? SocketAddress(ipAddress: endpoint.ip, port: endpoint.port) else { return next() }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let attempt = ConnectAttempt()
        attemptsInFlight += 1
        let bootstrap = ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.seconds(3))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let normalizer = IngressResponseHeadNormalizer()
                    try sync.addHandler(HTTPRequestEncoder(), name: IngressPipelineNames.upstreamEncoder)
                    try sync.addHandler(normalizer, name: IngressPipelineNames.upstreamNormalizer)
                    try sync.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)),
                                        name: IngressPipelineNames.upstreamDecoder)
                    try sync.addHandler(IngressUpstreamHandler(proxy: bound.value, normalizer: normalizer),
                                        name: IngressPipelineNames.upstream)
                }
            }
        // Only a connection still being made can go unanswered, so only it gets a hedge.
        let (future, pending): (EventLoopFuture<any Channel>, Bool) =
            switch UpstreamConnector.shared.connect(address, ip: endpoint.ip, port: endpoint.port) {
            case .connected(let descriptor): (bootstrap.withConnectedSocket(descriptor), false)
            case .failed(let error): (context.eventLoop.makeFailedFuture(error), false)
            case .usual: (bootstrap.connect(to: address), true)
            }
        // With one endpoint the second attempt goes to it again: a new SYN may find room.
        let hedgeLeft = endpoints.count == 1 ? max(left, 2) : left
        let hedge = pending ? context.eventLoop.assumeIsolated().scheduleTask(in: Self.hedgeDelay) {
            guard !attempt.ended, hedgeLeft > 1, generation == self.connectGeneration,
                  case .connecting = self.state, self.context != nil else { return }
            attempt.hedged = true
            self.attempt(endpoints, from: start + 1, left: hedgeLeft - 1, backend: backend, context: context)
        } : nil
        future.assumeIsolated().whenComplete { result in
            attempt.ended = true
            hedge?.cancel()
            guard generation == self.connectGeneration, case .connecting(let held) = self.state, self.context != nil else {
                if case .success(let channel) = result { channel.close(promise: nil) }
                return
            }
            self.attemptsInFlight -= 1
            switch result {
            case .failure:
                self.metrics.upstreamFailed(.connect)
                // a hedged attempt already moved on; only the last one out answers
                if !attempt.hedged || self.attemptsInFlight == 0 { next() }
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: IngressUpstreamHandler.self) else {
                    channel.close(promise: nil)
                    return self.answerLocally(.badGateway, context: context)
                }
                self.attemptsInFlight = 0
                self.upstream = Upstream(channel: channel, endpoint: endpoint, backend: backend, handler: handler, reused: false)
                self.state = .forwarding
                for part in held { channel.write(part, promise: nil) }
                channel.flush()
                self.resumeReading(context: context)
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
            responseHasLength = head.headers.contains(name: "content-length")
                && !head.headers.contains(name: "transfer-encoding")
            let version = requestHead?.version ?? .http1_1
            context.write(wrapOutboundOut(.head(IngressForwardedHead.response(head, version: version, close: !requestKeepAlive))),
                          promise: nil)
        case .body(let buffer):
            responseUnflushed += buffer.readableBytes
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
        if responseHasLength && responseUnflushed < Self.flushThreshold { return }
        responseUnflushed = 0
        context.flush()
    }

    /// The endpoint drained a request body: read more of it from the client.
    func upstreamBecameWritable(_ handler: IngressUpstreamHandler) {
        guard let context, upstream?.handler === handler else { return }
        resumeReading(context: context)
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
            state = .connecting([.head(forward(head, context: context)), .end(nil)])
            connect(endpoints, from: store.nextTurn(), left: endpoints.count, backend: current.backend, context: context)
        } else {
            answerLocally(.badGateway, context: context)
        }
    }

    private func finish(context: ChannelHandlerContext, trailers: HTTPHeaders?) {
        responseUnflushed = 0
        responseHasLength = false
        if requestKeepAlive || isHTTP2 {
            context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
            if case .idle = state { responseEnded(context: context) }
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
        responseEnded(context: context)
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
            remote.removeHandler(name: IngressPipelineNames.upstreamNormalizer, promise: nil)
            downstream.removeHandler(context: context, promise: nil)
            downstream.removeHandler(name: IngressPipelineNames.encoder, promise: nil)
            downstream.removeHandler(name: IngressPipelineNames.decoder, promise: nil)
            self.upstream = nil
        } catch {
            upstream.channel.close(promise: nil)
            context.close(promise: nil)
        }
    }
}
