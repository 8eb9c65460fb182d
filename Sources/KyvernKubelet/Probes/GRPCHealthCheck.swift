import Foundation
import NIOCore
import NIOPosix

/// The `grpc.health.v1.Health/Check` call of a grpc probe, over a minimal HTTP/2 client: one
/// plain-text connection, one stream, request headers sent as HPACK literals (no table, no
/// Huffman), the response read frame by frame. The answer's status comes from the response
/// message; the response headers are not decoded, so a call the server rejects (trailers only)
/// is reported as a failure without the server's grpc-message.
enum GRPCHealthCheck {
    static let statusNames = [0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"]

    static func check(host: String, port: Int, service: String, timeout: Duration) async -> ProbeOutcome {
        let authority = "\(host):\(port)"
        let timeoutText = RestartBackoff.goDuration(timeout.asSeconds)
        let collector = FrameCollector()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(Int64(timeout.asSeconds * 1e9)))
                .channelInitializer { channel in channel.pipeline.addHandler(collector) }
                .connect(host: host, port: port).get()
        } catch {
            return .failure("timeout: failed to connect service \(GoQuote.quote(authority)) within \(timeoutText)")
        }
        defer { channel.close(promise: nil) }
        do {
            try await channel.writeAndFlush(ByteBuffer(bytes: request(authority: authority, service: service))).get()
        } catch {
            return .failure("rpc error: code = Unavailable desc = \(error)")
        }
        let deadline = ContinuousClock.now + timeout
        var parser = FrameParser()
        while ContinuousClock.now < deadline {
            parser.buffer += collector.take()
            while let frame = parser.next() {
                switch frame.type {
                case 0x4 where frame.flags & 0x1 == 0:  // SETTINGS: acknowledge
                    channel.writeAndFlush(ByteBuffer(bytes: FrameParser.frame(type: 0x4, flags: 0x1, stream: 0, [])), promise: nil)
                case 0x0 where frame.stream == 1:  // DATA: the response message
                    if let status = responseStatus(frame.payload) {
                        let name = statusNames[status] ?? "UNKNOWN"
                        return status == 1 ? .success : .failure("service unhealthy (responded with \(GoQuote.quote(name)))")
                    }
                case 0x1 where frame.stream == 1 && frame.flags & 0x1 != 0:  // HEADERS ending the stream, no message
                    return .failure("rpc error: the health check ended without a response")
                case 0x3 where frame.stream == 1, 0x7:  // RST_STREAM, GOAWAY
                    return .failure("rpc error: code = Unavailable desc = the server closed the stream")
                default:
                    break
                }
            }
            if collector.closed && collector.isEmpty { return .failure("rpc error: code = Unavailable desc = connection closed") }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return .failure("timeout: health rpc did not complete within \(timeoutText)")
    }

    /// Preface, SETTINGS, HEADERS and DATA (END_STREAM) of one Check call.
    static func request(authority: String, service: String) -> [UInt8] {
        var headers: [UInt8] = [0x83, 0x86]  // :method POST, :scheme http (static table)
        headers += literal(index: 4, value: "/grpc.health.v1.Health/Check")
        headers += literal(index: 1, value: authority)
        headers += literal(name: "content-type", value: "application/grpc")
        headers += literal(name: "te", value: "trailers")
        headers += literal(name: "user-agent", value: "kube-probe")
        var message: [UInt8] = []
        if !service.isEmpty { message = [0x0A] + varint(UInt64(service.utf8.count)) + Array(service.utf8) }
        let length = UInt32(message.count)
        let data: [UInt8] = [0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + message
        return Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
            + FrameParser.frame(type: 0x4, flags: 0, stream: 0, [])
            + FrameParser.frame(type: 0x1, flags: 0x4, stream: 1, headers)
            + FrameParser.frame(type: 0x0, flags: 0x1, stream: 1, data)
    }

    /// The `status` field of a HealthCheckResponse in a gRPC length-prefixed message.
    static func responseStatus(_ payload: [UInt8]) -> Int? {
        guard payload.count >= 5 else { return nil }
        var body = Array(payload.dropFirst(5))
        if body.isEmpty { return 0 }  // status omitted: the default, UNKNOWN
        while !body.isEmpty {
            let tag = body.removeFirst()
            guard tag & 0x7 == 0 else { return nil }
            var value = 0, shift = 0
            while let byte = body.first {
                body.removeFirst()
                value |= Int(byte & 0x7F) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            if tag >> 3 == 1 { return value }
        }
        return 0
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value != 0
        return bytes
    }

    /// HPACK integer with an `prefix`-bit prefix.
    static func integer(_ value: Int, prefix: Int, first: UInt8) -> [UInt8] {
        let max = (1 << prefix) - 1
        if value < max { return [first | UInt8(value)] }
        var bytes: [UInt8] = [first | UInt8(max)]
        var rest = value - max
        while rest >= 128 {
            bytes.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        bytes.append(UInt8(rest))
        return bytes
    }

    static func string(_ text: String) -> [UInt8] {
        integer(text.utf8.count, prefix: 7, first: 0) + Array(text.utf8)
    }

    /// Literal header field without indexing, name from the static table.
    static func literal(index: Int, value: String) -> [UInt8] {
        integer(index, prefix: 4, first: 0) + string(value)
    }

    /// Literal header field without indexing, new name.
    static func literal(name: String, value: String) -> [UInt8] {
        [0x00] + string(name) + string(value)
    }
}

/// HTTP/2 frames out of a byte buffer.
struct FrameParser {
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]
    }

    var buffer: [UInt8] = []

    mutating func next() -> Frame? {
        guard buffer.count >= 9 else { return nil }
        let length = Int(buffer[0]) << 16 | Int(buffer[1]) << 8 | Int(buffer[2])
        guard buffer.count >= 9 + length else { return nil }
        let stream = (UInt32(buffer[5]) << 24 | UInt32(buffer[6]) << 16 | UInt32(buffer[7]) << 8 | UInt32(buffer[8])) & 0x7FFF_FFFF
        var payload = Array(buffer[9..<(9 + length)])
        let frame = Frame(type: buffer[3], flags: buffer[4], stream: stream, payload: [])
        buffer.removeFirst(9 + length)
        if frame.type == 0x0, frame.flags & 0x8 != 0, let pad = payload.first {  // PADDED
            payload = Array(payload.dropFirst().dropLast(Int(pad)))
        }
        return Frame(type: frame.type, flags: frame.flags, stream: frame.stream, payload: payload)
    }

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }
}

/// Collects the bytes a channel receives, for the polling parser above.
final class FrameCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var ended = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let read = buffer.readBytes(length: buffer.readableBytes) ?? []
        lock.withLock { bytes += read }
    }

    func channelInactive(context: ChannelHandlerContext) {
        lock.withLock { ended = true }
    }

    func take() -> [UInt8] {
        lock.withLock {
            defer { bytes.removeAll() }
            return bytes
        }
    }

    var closed: Bool { lock.withLock { ended } }
    var isEmpty: Bool { lock.withLock { bytes.isEmpty } }
}
