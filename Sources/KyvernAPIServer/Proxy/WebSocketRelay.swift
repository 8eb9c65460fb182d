import HTTPTypes
import HummingbirdWebSocket
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket

/// Passes WebSocket messages both ways between kubectl and a node agent, unchanged: the channel
/// protocols are spoken end to end. When one side closes, the other is closed too.
enum WebSocketRelay {
    static func run(client: (inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter), agentURL: String,
                    subprotocol: String, token: String, logger: Logger) async {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.authorization: "Bearer \(token)", .secWebSocketProtocol: subprotocol]
        configuration.maxFrameSize = 1 << 20
        configuration.validateUTF8 = false
        // Agents are dialled by IP, which SNI cannot carry; the certificate is not verified anyway.
        configuration.sniHostname = "kubelet"
        do {
            try await WebSocketClient.connect(url: agentURL, configuration: configuration,
                                              tlsConfiguration: NodeAgentClient.insecureTLS, logger: logger) { agentInbound, agentOutbound, _ in
                // Tells the agent that this side's upgrade is done, so that it may end the connection
                // (kubectl may send nothing before the session's output and end arrive).
                try? await agentOutbound.write(.custom(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())))
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await pump(from: client.inbound, to: agentOutbound)
                        try? await agentOutbound.close(.normalClosure, reason: nil)
                    }
                    group.addTask {
                        await pump(from: agentInbound, to: client.outbound)
                        try? await client.outbound.close(.normalClosure, reason: nil)
                    }
                    await group.waitForAll()
                }
            }
        } catch {
            logger.debug("node agent stream failed", metadata: ["url": "\(agentURL)", "error": "\(error)"])
            // v4/v5 clients read the failure from the error stream.
            let status = #"{"metadata":{},"status":"Failure","message":"error dialing backend: \#(error)","reason":"InternalError","code":500}"#
            var payload: [UInt8] = [3]
            payload.append(contentsOf: status.utf8)
            try? await client.outbound.write(.binary(ByteBuffer(bytes: payload)))
            try? await client.outbound.close(.normalClosure, reason: nil)
        }
    }

    private static func pump(from inbound: WebSocketInboundStream, to outbound: WebSocketOutboundWriter) async {
        do {
            for try await message in inbound.messages(maxSize: 1 << 24) {
                switch message {
                case .binary(let buffer): try await outbound.write(.binary(buffer))
                case .text(let text): try await outbound.write(.text(text))
                }
            }
        } catch {}
    }
}
