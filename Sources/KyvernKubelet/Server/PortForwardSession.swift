import Foundation
import HummingbirdWebSocket
import KyvernRuntime
import NIOCore
import NIOWebSocket

/// One WebSocket port-forward: one connection into the sandbox per requested port, relayed on
/// that port's data stream until either side closes.
struct PortForwardSession: Sendable {
    let runtime: any ContainerRuntime
    let sandboxID: String
    let ports: [Int]

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
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Each data stream's first client message is the port prefix, not payload.
                var seen = Set<Int>()
                do {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .binary(var buffer) = message, let bytes = buffer.readBytes(length: buffer.readableBytes),
                              let (stream, payload) = ChannelProtocol.split(bytes), stream % 2 == 0 else { continue }
                        let index = Int(stream / 2)
                        guard index < continuations.count else { continue }
                        if seen.insert(index).inserted && payload.count == 2 { continue }
                        continuations[index].yield(Array(payload))
                    }
                } catch {}
                continuations.forEach { $0.finish() }
            }
            for (index, port) in ports.enumerated() {
                let incoming = streams[index]
                group.addTask { [runtime, sandboxID] in
                    do {
                        try await runtime.portForward(sandboxID: sandboxID, port: port, io: ByteStream(
                            incoming: incoming, outgoing: { await send(UInt8(index * 2), $0) }))
                    } catch {
                        await send(UInt8(index * 2 + 1), Array("error forwarding port \(port) to pod \(sandboxID): \(error)".utf8))
                    }
                }
            }
            await group.next()
            await group.waitForAll()
        }
        try? await outbound.close(.normalClosure, reason: nil)
    }
}
