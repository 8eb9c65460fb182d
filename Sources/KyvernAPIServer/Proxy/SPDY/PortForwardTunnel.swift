import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// The API server's end of `kubectl port-forward` over WebSocket with the subprotocol
/// `SPDY/3.1+portforward.k8s.io` (KEP-4006): the WebSocket is a byte pipe carrying a SPDY/3.1
/// connection in which kubectl opens an error and a data stream per forwarded connection. Each
/// connection is bridged to the node agent (``PortForwardTunnelConnection``). PINGs are echoed;
/// a protocol error ends the connection with GOAWAY.
enum PortForwardTunnel {
    static let subprotocol = "SPDY/3.1+portforward.k8s.io"

    static func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, agentURL: String,
                    token: String, logger: Logger) async {
        let queue = SPDYFrameQueue()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await queue.drain { try await outbound.write(.binary(ByteBuffer(bytes: $0))) }
                // The session is over (kubectl's GOAWAY, its close, or ours): kubectl's connection
                // ends when it reads our close, whatever forwarded connections are still winding down.
                try? await outbound.close(.normalClosure, reason: nil)
            }
            var inputs: [UInt32: AsyncStream<PortForwardTunnelConnection.Input>.Continuation] = [:]
            var pairs = PortForwardStreamPairs()
            var lastStream: UInt32 = 0
            do {
                var decoder = try SPDYFrameDecoder()
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    guard case .binary(let buffer) = message else { continue }
                    decoder.append(buffer.readableBytesView)
                    while let frame = try decoder.next() {
                        switch frame {
                        case .synStream(let streamID, _, _, _, let headers):
                            lastStream = max(lastStream, streamID)
                            switch pairs.open(streamID: streamID, headers: headers) {
                            case .rejected(let reason):
                                logger.debug("port-forward stream refused", metadata: ["reason": "\(reason)"])
                                queue.post(.rstStream(streamID: streamID, status: SPDYFrame.ResetStatus.protocolError))
                            case .waiting:
                                queue.post(.synReply(streamID: streamID, flags: 0, headers: []))
                            case .ready(let request):
                                queue.post(.synReply(streamID: streamID, flags: 0, headers: []))
                                let (input, feed) = AsyncStream<PortForwardTunnelConnection.Input>.makeStream()
                                inputs[request.dataStream] = feed
                                let connection = PortForwardTunnelConnection(request: request, agentURL: agentURL, token: token, logger: logger)
                                group.addTask { await connection.run(input: input, queue: queue) }
                            }
                        case .data(let streamID, let fin, let payload):
                            guard let feed = inputs[streamID] else { continue }
                            if !payload.isEmpty { feed.yield(.bytes(payload)) }
                            if fin { feed.yield(.fin) }
                        case .rstStream(let streamID, _):
                            inputs.removeValue(forKey: streamID)?.finish()
                        case .ping(let id):
                            queue.post(.ping(id: id))
                        case .goAway:
                            // kubectl closes with GOAWAY; like spdystream's server, the session ends.
                            throw CancellationError()
                        case .synReply, .settings, .headers, .windowUpdate:
                            continue
                        }
                    }
                }
            } catch let error as SPDYError {
                logger.debug("port-forward tunnel ended", metadata: ["error": "\(error)"])
                queue.post(.goAway(lastStreamID: lastStream, status: SPDYFrame.GoAwayStatus.protocolError))
            } catch {}
            // kubectl left (or the connection failed): every forwarded connection ends with it
            // (its agent session is closed), and the writer ends once what is queued is sent.
            inputs.values.forEach { $0.finish() }
            queue.finish()
        }
        try? await outbound.close(.normalClosure, reason: nil)
    }
}
