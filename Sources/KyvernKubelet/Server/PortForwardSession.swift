import Foundation
import HummingbirdWebSocket
import KyvernRuntime
import NIOCore
import NIOWebSocket

/// One WebSocket port-forward: one connection into the sandbox per requested port, relayed on
/// that port's data stream. A message `[255, stream]` (v5.channel.k8s.io's close signal) half-
/// closes that data stream towards the pod, which is how the API server passes on a SPDY FIN.
/// The session ends when every port's connection has ended (the WebSocket is then closed, so the
/// client sees the pod's EOF) or when the client goes away (every connection is then shut down).
struct PortForwardSession: Sendable {
    let runtime: any ContainerRuntime
    let sandboxID: String
    let ports: [Int]

    static let closeSignal: UInt8 = 255

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let send: @Sendable (UInt8, [UInt8]) async -> Void = { stream, payload in
            try? await outbound.write(.binary(ByteBuffer(bytes: ChannelProtocol.frame(stream, payload))))
        }
        var inputs: [AsyncStream<[UInt8]>.Continuation] = []
        var streams: [AsyncStream<[UInt8]>] = []
        for (index, port) in ports.enumerated() {
            let (stream, input) = AsyncStream<[UInt8]>.makeStream()
            streams.append(stream)
            inputs.append(input)
            await send(UInt8(index * 2), PortForwardProtocol.portPrefix(port))
            await send(UInt8(index * 2 + 1), PortForwardProtocol.portPrefix(port))
        }
        let continuations = inputs
        let incomingStreams = streams
        let reader: @Sendable () async -> Void = {
            // Each data stream's first client message is the port prefix, not payload.
            var seen = Set<Int>()
            do {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .binary(var buffer) = message, let bytes = buffer.readBytes(length: buffer.readableBytes),
                          let (stream, payload) = ChannelProtocol.split(bytes) else { continue }
                    if stream == Self.closeSignal, let closed = payload.first, closed % 2 == 0, Int(closed / 2) < continuations.count {
                        continuations[Int(closed / 2)].finish()
                        continue
                    }
                    let index = Int(stream / 2)
                    guard stream % 2 == 0, index < continuations.count else { continue }
                    if seen.insert(index).inserted && payload.count == 2 { continue }
                    continuations[index].yield(Array(payload))
                }
            } catch {}
            continuations.forEach { $0.finish() }
        }
        let connections: @Sendable () async -> Void = { [runtime, sandboxID, ports] in
            await withTaskGroup(of: Void.self) { connections in
                for (index, port) in ports.enumerated() {
                    let incoming = incomingStreams[index]
                    connections.addTask {
                        do {
                            try await runtime.portForward(sandboxID: sandboxID, port: port, io: ByteStream(
                                incoming: incoming, outgoing: { await send(UInt8(index * 2), $0) }))
                        } catch {
                            await send(UInt8(index * 2 + 1), Array("error forwarding port \(port) to pod \(sandboxID): \(error)".utf8))
                        }
                    }
                }
            }
        }
        // Every connection ended: closing tells the client that the pod's side is done. The
        // client leaving instead ends every connection.
        _ = await SessionClosing.run(reader: reader, work: connections, finish: { _ in
            try? await outbound.close(.normalClosure, reason: nil)
        })
        try? await outbound.close(.normalClosure, reason: nil)
    }
}
