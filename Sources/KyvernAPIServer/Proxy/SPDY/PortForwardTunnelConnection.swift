import HTTPTypes
import HummingbirdWebSocket
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// One forwarded connection of a SPDY port-forward, bridged to its own WebSocket
/// `portforward.k8s.io` session on the node agent for that one port: the SPDY data stream maps to
/// the agent's stream 0, the error stream to its stream 1. The agent closing (the pod's side of the
/// connection ended) becomes FIN on both SPDY streams.
struct PortForwardTunnelConnection: Sendable {
    /// What kubectl sent on the data stream.
    enum Input: Sendable { case bytes([UInt8]), fin }

    static let agentChunk = 8192

    let request: PortForwardStreamPairs.Request
    /// The agent's port-forward URL for the pod, without the query.
    let agentURL: String
    let token: String
    let logger: Logger

    func run(input: AsyncStream<Input>, queue: SPDYFrameQueue) async {
        let request = self.request
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.authorization: "Bearer \(token)", .secWebSocketProtocol: "portforward.k8s.io"]
        configuration.maxFrameSize = 1 << 20
        configuration.validateUTF8 = false
        configuration.sniHostname = "kubelet"
        let prefix: [UInt8] = [UInt8(truncatingIfNeeded: request.port), UInt8(truncatingIfNeeded: request.port >> 8)]
        // kubectl learns the end as soon as the agent's session is over: the TLS shutdown after it
        // can take seconds (the client waits for a `close_notify` it may no longer read).
        let ended = Atomic<Bool>(false)
        let end: @Sendable () -> Void = {
            guard !ended.exchange(true, ordering: .relaxed) else { return }
            queue.post(.data(streamID: request.dataStream, fin: true, payload: []))
            queue.post(.data(streamID: request.errorStream, fin: true, payload: []))
        }
        do {
            try await WebSocketClient.connect(url: "\(agentURL)?port=\(request.port)", configuration: configuration,
                                              tlsConfiguration: NodeAgentClient.insecureTLS, logger: logger) { inbound, outbound, _ in
                let answered = await withTaskGroup(of: Bool?.self) { group in
                    group.addTask {
                        try? await outbound.write(.binary(ByteBuffer(bytes: [0] + prefix)))
                        for await item in input {
                            switch item {
                            case .bytes(let bytes):
                                // The agent's WebSocket server takes frames up to 16 KiB; kubectl's are larger.
                                for start in stride(from: 0, to: bytes.count, by: Self.agentChunk) {
                                    let piece = bytes[start..<min(start + Self.agentChunk, bytes.count)]
                                    try? await outbound.write(.binary(ByteBuffer(bytes: [0] + piece)))
                                }
                            case .fin: try? await outbound.write(.binary(ByteBuffer(bytes: [255, 0])))
                            }
                        }
                        // kubectl reset the stream or left: the agent shuts the pod's connection.
                        try? await outbound.close(.normalClosure, reason: nil)
                        return nil
                    }
                    group.addTask {
                        await relayAgent(inbound, queue: queue)
                    }
                    let first = await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
                if answered == false {
                    // The agent always sends the port prefixes first, so an agent session that ended
                    // with nothing at all lost its messages on the way (it happened when they came with
                    // the upgrade response and the connection's end; the agent now holds its end back,
                    // see HalfCloseAfterClientSpoke): say so rather than leave kubectl waiting.
                    logger.warning("port-forward: the node agent's session ended without a message", metadata: ["url": "\(agentURL)"])
                    await queue.write(.data(streamID: request.errorStream, fin: false, payload: Array(
                        "error forwarding port \(request.port) to pod: the node agent's connection ended before any answer arrived".utf8)))
                }
                end()
            }
        } catch {
            logger.debug("port-forward to the node agent failed", metadata: ["url": "\(agentURL)", "error": "\(error)"])
            if !ended.load(ordering: .relaxed) {
                queue.post(.data(streamID: request.errorStream, fin: false, payload: Array("error dialing backend: \(error)".utf8)))
            }
        }
        end()
    }

    /// The agent's messages: each stream's first message is the port prefix, the rest payload.
    /// Returns whether any message arrived at all.
    private func relayAgent(_ inbound: WebSocketInboundStream, queue: SPDYFrameQueue) async -> Bool {
        var prefixed: Set<UInt8> = []
        var received = false
        let portPrefix = [UInt8(truncatingIfNeeded: request.port), UInt8(truncatingIfNeeded: request.port >> 8)]
        do {
            for try await message in inbound.messages(maxSize: 1 << 24) {
                received = true
                guard case .binary(var buffer) = message, let bytes = buffer.readBytes(length: buffer.readableBytes),
                      let stream = bytes.first, stream <= 1 else { continue }
                let payload = Array(bytes.dropFirst())
                // A stream's first message is its port prefix; anything else is already payload.
                if prefixed.insert(stream).inserted && payload == portPrefix { continue }
                guard !payload.isEmpty else { continue }
                await queue.write(.data(streamID: stream == 0 ? request.dataStream : request.errorStream, fin: false, payload: payload))
            }
        } catch {}
        return received
    }
}
