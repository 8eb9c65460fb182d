import HTTPTypes
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdWebSocket
import Logging
import Synchronization
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOSSL
import NIOTLS

/// The API server's connections: TLS, then HTTP/2 when ALPN picks `h2`, or HTTP/1.1 that may
/// upgrade to WebSocket (exec, attach, port-forward: kubectl dials those over HTTP/1.1).
/// Hummingbird's own HTTP/2 channel offers no WebSocket upgrade on its HTTP/1.1 side.
struct StreamingServerChannel: ServerChildChannel {
    typealias Upgrader = @Sendable (HTTPRequest, any Channel, Logger) async throws
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<NIONegotiatedHTTPVersion<HTTP1WebSocketUpgradeChannel.Value, HTTP2Channel.Value>>
        let channel: any Channel
        /// The user a verified client certificate names, known once the handshake is done.
        let peer: PeerIdentityBox
    }

    let sslContext: NIOSSLContext
    let http1: HTTP1WebSocketUpgradeChannel
    let http2: HTTP2Channel

    init(tlsConfiguration: TLSConfiguration, configuration: HTTP2ChannelConfiguration,
         responder: @escaping HTTPChannelHandler.Responder, shouldUpgrade: @escaping Upgrader) throws {
        var tls = tlsConfiguration
        tls.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        // Closing an idle keep-alive connection at shutdown need not wait the default 5 s for a
        // peer's close_notify that an idle client (python-requests, curl) never sends.
        tls.shutdownTimeout = .milliseconds(200)
        sslContext = try NIOSSLContext(configuration: tls)
        http1 = HTTP1WebSocketUpgradeChannel(responder: responder,
                                             // kubectl's port-forward tunnel sends SPDY frames in WebSocket frames
                                             // larger than the 16 KiB default.
                                             configuration: .init(http1: configuration.streamConfiguration, ws: .init(maxFrameSize: 1 << 20)),
                                             shouldUpgrade: shouldUpgrade)
        http2 = HTTP2Channel(responder: responder, configuration: configuration)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let http1 = self.http1, http2 = self.http2
        let peer = PeerIdentityBox()
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
            try channel.pipeline.syncOperations.addHandler(QuiesceIdleConnectionHandler())
            let alpn = NIOTypedApplicationProtocolNegotiationHandler<NIONegotiatedHTTPVersion<HTTP1WebSocketUpgradeChannel.Value, HTTP2Channel.Value>> { result in
                // The handshake is done: a client certificate, if any, has been verified.
                if let certificate = try? channel.pipeline.syncOperations.nioSSL_peerCertificate() {
                    peer.user.withLock { $0 = ClientCertificateIdentity.user(of: certificate) }
                }
                switch result {
                case .negotiated("h2"):
                    return http2.setup(channel: channel, logger: logger).map { .http2($0) }
                case .negotiated("http/1.1"), .fallback:
                    return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
                        // Right behind the request decoder, ahead of the upgrade handler.
                        let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
                        try channel.pipeline.syncOperations.addHandler(UnknownUpgradeFilter(), position: .after(decoder))
                        return .http1_1(value)
                    }
                case .negotiated:
                    return channel.close().flatMap { channel.eventLoop.makeFailedFuture(NIOHTTP2Errors.invalidALPNToken()) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(alpn)
            return Value(negotiated: alpn.protocolNegotiationResult, channel: channel, peer: peer)
        }
    }

    func handle(value: Value, logger: Logger) async {
        // Waiting on a future ignores cancellation; closing the channel ends every wait, so a
        // server cancelled after its drain period does not wait on a silent client.
        await withTaskCancellationHandler {
            do {
                let negotiated = try await value.negotiated.get()
                // Every request of the connection (HTTP/2 streams run in child tasks) sees its identity.
                await ClientCertificateIdentity.$current.withValue(value.peer.user.withLock { $0 }) {
                    await ConnectionPeer.$address.withValue(value.channel.remoteAddress?.ipAddress) {
                        switch negotiated {
                        case .http1_1(let connection): await http1.handle(value: connection, logger: logger)
                        case .http2(let connection): await http2.handle(value: connection, logger: logger)
                        }
                    }
                }
            } catch {
                logger.debug("protocol negotiation failed: \(error)")
            }
        } onCancel: { [channel = value.channel] in
            channel.close(promise: nil)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTPS with HTTP/2 and HTTP/1.1, the latter able to upgrade to WebSocket.
    static func streaming(tlsConfiguration: TLSConfiguration, configuration: HTTP2ChannelConfiguration,
                          shouldUpgrade: @escaping StreamingServerChannel.Upgrader) -> HTTPServerBuilder {
        .init { responder in
            try StreamingServerChannel(tlsConfiguration: tlsConfiguration, configuration: configuration,
                                       responder: responder, shouldUpgrade: shouldUpgrade)
        }
    }
}

/// A connection's client identity, written once on the event loop after the handshake.
final class PeerIdentityBox: Sendable {
    let user = Mutex<UserInfo?>(nil)
}
