import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// The proxy's listening sockets: plain HTTP/1.1, and TLS where the certificate is chosen by the
/// client's server name (SNI) before the handshake and ALPN picks HTTP/2 or HTTP/1.1.
enum IngressListener {
    static func bindHTTP(host: String, port: Int, store: IngressSnapshotStore, metrics: IngressMetrics,
                         group: any EventLoopGroup) async throws -> any Channel {
        try await bootstrap(group: group).childChannelInitializer { channel in
            counted(channel, metrics)
            return channel.eventLoop.makeCompletedFuture {
                try configureHTTP1(channel.pipeline.syncOperations, store: store, metrics: metrics, scheme: "http")
            }
        }.bind(host: host, port: port).get()
    }

    static func bindHTTPS(host: String, port: Int, store: IngressSnapshotStore, metrics: IngressMetrics,
                          group: any EventLoopGroup) async throws -> any Channel {
        try await bootstrap(group: group).childChannelInitializer { channel in
            counted(channel, metrics)
            return channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                let sni = ByteToMessageHandler(SNIHandler { result in
                    let serverName: String? = if case .hostname(let name) = result { name } else { nil }
                    guard let tls = store.current.tlsContext(serverName: serverName) else {
                        return channel.close()
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        let sniHandler = try sync.handler(type: ByteToMessageHandler<SNIHandler>.self)
                        try sync.addHandler(NIOSSLServerHandler(context: tls), position: .after(sniHandler))
                    }
                })
                try sync.addHandler(sni)
                try sync.addHandler(ApplicationProtocolNegotiationHandler(alpnCompleteHandler: { (result: ALPNResult, channel: any Channel) -> EventLoopFuture<Void> in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        switch result {
                        case .negotiated("h2"):
                            _ = try sync.configureHTTP2Pipeline(mode: .server, connectionConfiguration: .init(), streamConfiguration: .init(),
                                                                inboundStreamInitializer: { stream in
                                stream.eventLoop.makeCompletedFuture {
                                    try stream.pipeline.syncOperations.addHandlers([
                                        HTTP2FramePayloadToHTTP1ServerCodec(),
                                        IngressProxyHandler(store: store, metrics: metrics, scheme: "https", isHTTP2: true),
                                    ])
                                }
                            })
                        default:
                            try configureHTTP1(sync, store: store, metrics: metrics, scheme: "https")
                        }
                    }
                }))
            }
        }.bind(host: host, port: port).get()
    }

    private static func bootstrap(group: any EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
    }

    /// Counts the client connection as open until it closes.
    private static func counted(_ channel: any Channel, _ metrics: IngressMetrics) {
        metrics.connectionOpened()
        channel.closeFuture.whenComplete { _ in metrics.connectionClosed() }
    }

    private static func configureHTTP1(_ sync: ChannelPipeline.SynchronousOperations, store: IngressSnapshotStore,
                                       metrics: IngressMetrics, scheme: String) throws {
        try sync.addHandler(HTTPResponseEncoder(), name: IngressPipelineNames.encoder)
        try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)),
                            name: IngressPipelineNames.decoder)
        try sync.addHandler(IngressProxyHandler(store: store, metrics: metrics, scheme: scheme, isHTTP2: false))
    }
}
