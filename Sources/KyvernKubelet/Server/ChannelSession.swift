import Foundation
import HummingbirdWebSocket
import KyvernRuntime
import NIOCore
import NIOWebSocket

/// One exec or attach over a channel protocol: client messages feed stdin and resizes, output
/// goes out on streams 1 and 2, and the end is reported on stream 3 before a normal close.
struct ChannelSession: Sendable {
    let runtime: any ContainerRuntime
    let containerID: String
    let request: StreamRequest
    let `protocol`: ChannelProtocol

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let (stdin, stdinInput) = AsyncStream<[UInt8]>.makeStream()
        let (resize, resizeInput) = AsyncStream<TerminalSize>.makeStream()
        let send: @Sendable (UInt8, [UInt8]) async -> Void = { stream, payload in
            try? await outbound.write(.binary(ByteBuffer(bytes: ChannelProtocol.frame(stream, payload))))
        }
        // An empty message on the lowest stream the client reads tells it the session is up.
        var lowest = ChannelProtocol.error
        if request.stdout {
            lowest = ChannelProtocol.stdout
        } else if request.stderr && !request.tty {
            lowest = ChannelProtocol.stderr
        }
        await send(lowest, [])
        var io = StreamIO()
        if request.stdin { io.stdin = stdin }
        if request.stdout { io.stdout = { @Sendable bytes in await send(ChannelProtocol.stdout, bytes) } }
        if request.stderr && !request.tty { io.stderr = { @Sendable bytes in await send(ChannelProtocol.stderr, bytes) } }
        if request.tty { io.resize = resize }
        let session = io
        if !request.stdin { stdinInput.finish() }
        let proto = self.protocol

        let reader: @Sendable () async -> Void = {
            do {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .binary(var buffer) = message, let bytes = buffer.readBytes(length: buffer.readableBytes),
                          let (stream, payload) = ChannelProtocol.split(bytes) else { continue }
                    switch stream {
                    case ChannelProtocol.stdin: stdinInput.yield(Array(payload))
                    case ChannelProtocol.resize:
                        if let size = ChannelProtocol.terminalSize(payload) {
                            resizeInput.yield(TerminalSize(width: size.width, height: size.height))
                        }
                    case ChannelProtocol.close where proto == .v5:
                        if payload.first == ChannelProtocol.stdin { stdinInput.finish() }
                    default: break
                    }
                }
            } catch {}
            stdinInput.finish()
            resizeInput.finish()
        }
        let command: @Sendable () async -> (code: Int32?, failure: String?) = { [request, runtime, containerID] in
            do {
                switch request.kind {
                case .attach:
                    try await runtime.attach(id: containerID, tty: request.tty, io: session)
                    return (0, nil)
                default:
                    return (try await runtime.exec(id: containerID, command: request.command, tty: request.tty, io: session), nil)
                }
            } catch {
                return (nil, "\(error)")
            }
        }
        // Whichever ends first decides: the command (its exit is reported before the close) or
        // the client leaving (stdin's end arrives as a v5 close message, so the message stream
        // ends only then).
        _ = await SessionClosing.run(reader: reader, work: command, finish: { outcome in
            if outcome.code != nil || outcome.failure != nil {
                await send(ChannelProtocol.error, proto.errorPayload(exitCode: outcome.code, failure: outcome.failure))
            }
            try? await outbound.close(.normalClosure, reason: nil)
        })
        try? await outbound.close(.normalClosure, reason: nil)
    }
}
