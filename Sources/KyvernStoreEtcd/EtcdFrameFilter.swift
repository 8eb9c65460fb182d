import NIOCore

/// Keeps etcd's routine HTTP/2 control traffic away from NIO's abuse heuristics.
///
/// etcd's gRPC server sends a PING after most requests it receives (to estimate bandwidth) and an
/// `RST_STREAM(NO_ERROR)` when it answers before reading a request's end. Both are ordinary HTTP/2,
/// but NIO's HTTP/2 handler counts them as possible abuse and closes the connection after 200 in a
/// few seconds — which a busy API server reaches in under a second (seen: every connection dropped
/// after ~200 reads). So this handler, on the decrypted byte stream just before the HTTP/2 handler,
/// answers those PINGs itself (an ACK with the same payload, as RFC 9113 §6.7 asks) and drops the
/// resets of streams that are already answered. Everything else passes through unchanged.
final class EtcdFrameFilter: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let headerLength = 9
    private static let resetStream: UInt8 = 0x3
    private static let ping: UInt8 = 0x6
    private static let ackFlag: UInt8 = 0x1

    private var pending: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered = pending {
            buffered.writeBuffer(&incoming)
            incoming = buffered
            pending = nil
        }
        var passed = context.channel.allocator.buffer(capacity: incoming.readableBytes)
        var acks: [ByteBuffer] = []
        while incoming.readableBytes >= Self.headerLength {
            let start = incoming.readerIndex
            guard let high = incoming.getInteger(at: start, as: UInt8.self),
                  let low = incoming.getInteger(at: start + 1, as: UInt16.self),
                  let type = incoming.getInteger(at: start + 3, as: UInt8.self),
                  let flags = incoming.getInteger(at: start + 4, as: UInt8.self) else { break }
            let length = Int(high) << 16 | Int(low)
            guard incoming.readableBytes >= Self.headerLength + length else { break }
            var frame = incoming.readSlice(length: Self.headerLength + length)!
            let payload = frame.readerIndex + Self.headerLength
            if type == Self.ping, flags & Self.ackFlag == 0, length == 8 {
                var ack = context.channel.allocator.buffer(capacity: Self.headerLength + 8)
                ack.writeInteger(UInt8(0))
                ack.writeInteger(UInt16(8))
                ack.writeInteger(Self.ping)
                ack.writeInteger(Self.ackFlag)
                ack.writeInteger(UInt32(0))
                ack.writeBytes(frame.getBytes(at: payload, length: 8)!)
                acks.append(ack)
                continue
            }
            if type == Self.resetStream, length == 4, frame.getInteger(at: payload, as: UInt32.self) == 0 {
                continue
            }
            passed.writeBuffer(&frame)
        }
        if incoming.readableBytes > 0 { pending = incoming }
        if !acks.isEmpty {
            for ack in acks { context.write(wrapOutboundOut(ack), promise: nil) }
            context.flush()
        }
        if passed.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(passed)) }
    }
}
