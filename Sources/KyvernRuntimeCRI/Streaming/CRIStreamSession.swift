import Foundation
import HTTPTypes
import HummingbirdWSClient
import KyvernRuntime
import Logging
import NIOCore

/// One session with the runtime's streaming server (the URL an Exec, Attach or PortForward call
/// returns), over WebSocket with the channel protocols upstream's streaming server speaks: each
/// binary message starts with its channel byte.
struct CRIStreamSession {
    let url: String
    let subprotocol: String
    let logger: Logger

    /// The channel protocol whose status message carries the exit code (upstream's v4).
    static let channelProtocol = "v4.channel.k8s.io"
    static let portForwardProtocol = "v4.channel.k8s.io"

    /// Runs `send` beside the reading of the session (it writes channel-prefixed messages with the
    /// function it is given), hands every received message to `received`, and returns when the
    /// server closes the session.
    func run(send: @escaping @Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void,
             received: @escaping @Sendable ([UInt8]) async -> Void) async throws {
        var configuration = WebSocketClientConfiguration()
        configuration.additionalHeaders = [.secWebSocketProtocol: subprotocol]
        configuration.maxFrameSize = 1 << 20
        configuration.validateUTF8 = false
        let wsURL = url.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://")
        _ = try await WebSocketClient.connect(url: wsURL, configuration: configuration, logger: logger) { inbound, outbound, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await send { message in try await outbound.write(.binary(ByteBuffer(bytes: message))) }
                }
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    switch message {
                    case .binary(var buffer): await received(buffer.readBytes(length: buffer.readableBytes) ?? [])
                    case .text(let text): await received(Array(text.utf8))
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// The exit code in a v4 channel protocol status (channel 3): 0 on Success, the `ExitCode`
    /// cause of a NonZeroExitCode failure, else 1 with the message thrown.
    static func exitCode(status: [UInt8]) throws -> Int32 {
        guard let object = try? JSONSerialization.jsonObject(with: Data(status)) as? [String: Any] else {
            throw CRICallError(method: "stream", code: "unknown", message: String(decoding: status, as: UTF8.self))
        }
        if object["status"] as? String == "Success" { return 0 }
        let causes = (object["details"] as? [String: Any])?["causes"] as? [[String: Any]] ?? []
        if let cause = causes.first(where: { $0["reason"] as? String == "ExitCode" }),
           let code = Int32(cause["message"] as? String ?? "") {
            return code
        }
        throw CRICallError(method: "stream", code: "\(object["reason"] ?? "unknown")", message: "\(object["message"] ?? "")")
    }

    /// Sends a session's standard input (channel 0) and terminal resizes (channel 4) until both end;
    /// with `closeStdin` (a session that can half-close), the end of input is passed on as a CLOSE
    /// of channel 0 so that the command sees end of file.
    static func sendInput(_ io: StreamIO, closeStdin: Bool = false,
                          write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let stdin = io.stdin {
                group.addTask {
                    for await bytes in stdin { try await write([0] + bytes) }
                    if closeStdin && !Task.isCancelled { try await write([CRISpdySession.closeSignal, 0]) }
                }
            }
            if let resize = io.resize {
                group.addTask {
                    for await size in resize {
                        try await write([4] + Array(#"{"Width":\#(size.width),"Height":\#(size.height)}"#.utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
