import Logging
import NIOCore

/// Logs errors a datagram socket reports without closing (ICMP errors, a full buffer) and stops
/// them there: passed on, they would end the listener's inbound stream and so the whole server.
/// Errors that do close the socket still end the stream, through the channel going inactive.
final class DNSErrorLogger: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>

    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("DNS socket error", metadata: ["error": "\(error)"])
    }
}

/// A listener's socket closed while the server was still running.
struct DNSListenerClosedError: Error, CustomStringConvertible {
    var address: String
    var description: String { "cluster DNS listener \(address) closed unexpectedly" }
}
