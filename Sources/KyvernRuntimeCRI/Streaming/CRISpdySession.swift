import Foundation
import KyvernRuntime
import Logging
import NIOCore
import NIOPosix

/// One exec or attach session with the runtime's streaming server over SPDY/3.1 (upstream's
/// remote-command protocol v4 on SPDY streams), offered beside ``CRIStreamSession`` because only
/// SPDY lets the client half-close standard input: containerd 1.6/1.7 serve WebSocket only as
/// v4.channel.k8s.io, which has no way to say "stdin ended" (v5's CLOSE signal is newer).
///
/// It keeps ``CRIStreamSession``'s message shape so both share the I/O code: a message is its
/// channel byte (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize) then its payload, and a
/// written `[255, channel]` closes that channel (v5's CLOSE signal).
struct CRISpdySession {
    let url: String
    let stdin: Bool
    let tty: Bool
    let logger: Logger

    static let closeSignal: UInt8 = 255

    /// The streams, in the order upstream's client opens them, with the channel each carries.
    var streams: [(type: String, channel: UInt8)] {
        var out: [(String, UInt8)] = [("error", 3)]
        if stdin { out.append(("stdin", 0)) }
        out.append(("stdout", 1))
        if !tty { out.append(("stderr", 2)) }
        if tty { out.append(("resize", 4)) }
        return out
    }

    func run(send: @escaping @Sendable (_ write: @escaping @Sendable ([UInt8]) async throws -> Void) async throws -> Void,
             received: @escaping @Sendable ([UInt8]) async -> Void) async throws {
        guard let parsed = URL(string: url), let host = parsed.host else {
            throw CRICallError(method: "stream", code: "invalidURL", message: url)
        }
        let port = parsed.port ?? 80
        var target = parsed.path.isEmpty ? "/" : parsed.path
        if let query = parsed.query { target += "?" + query }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(30))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let streams = self.streams
        try await channel.executeThenClose { inbound, outbound in
            let request = "POST \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                + "X-Stream-Protocol-Version: \(CRIStreamSession.channelProtocol)\r\nContent-Length: 0\r\n\r\n"
            try await outbound.write(ByteBuffer(string: request))
            var incoming = inbound.makeAsyncIterator()
            var pending = try await Self.readUpgrade(&incoming)
            var encoder = SPDYFrames.HeaderEncoder()
            var ids: [UInt8: UInt32] = [:], channels: [UInt32: UInt8] = [:]
            for (index, stream) in streams.enumerated() {
                let id = UInt32(2 * index + 1)  // client-initiated streams are odd
                ids[stream.channel] = id
                channels[id] = stream.channel
                let block = encoder.encode([("streamtype", stream.type)])
                try await outbound.write(ByteBuffer(bytes: SPDYFrames.synStream(streamID: id, headerBlock: block)))
            }
            let streamIDs = ids
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await send { message in
                        guard let first = message.first else { return }
                        if first == Self.closeSignal, message.count == 2, let id = streamIDs[message[1]] {
                            try await outbound.write(ByteBuffer(bytes: SPDYFrames.data(streamID: id, payload: [], fin: true)))
                        } else if let id = streamIDs[first] {
                            try await outbound.write(ByteBuffer(bytes: SPDYFrames.data(streamID: id, payload: Array(message.dropFirst()))))
                        }
                    }
                }
                reading: while true {
                    while let frame = SPDYFrames.next(from: &pending) {
                        switch frame {
                        case .data(let id, _, let payload):
                            if let channel = channels[id], !payload.isEmpty { await received([channel] + payload) }
                        case .control(let type, _, let payload):
                            if type == SPDYFrames.ControlType.ping.rawValue {
                                try await outbound.write(ByteBuffer(bytes: SPDYFrames.control(.ping, flags: 0, payload: payload)))
                            } else if type == SPDYFrames.ControlType.goAway.rawValue {
                                break reading
                            }
                        }
                    }
                    guard let chunk = try await incoming.next() else { break }
                    pending += chunk.readableBytesView
                }
                group.cancelAll()
            }
        }
    }

    /// Reads the server's answer to the upgrade; returns the bytes after its head (the first frames).
    static func readUpgrade(_ incoming: inout NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) async throws -> [UInt8] {
        var head: [UInt8] = []
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            guard let chunk = try await incoming.next() else {
                throw CRICallError(method: "stream", code: "upgrade", message: "connection closed before the upgrade answer")
            }
            head += chunk.readableBytesView
            if let range = head.firstRange(of: end) {
                let statusLine = String(decoding: head[..<(head.firstRange(of: Array("\r\n".utf8))?.lowerBound ?? range.lowerBound)],
                                        as: UTF8.self)
                guard statusLine.split(separator: " ").dropFirst().first == "101" else {
                    throw CRICallError(method: "stream", code: "upgrade", message: String(decoding: head, as: UTF8.self))
                }
                return Array(head[range.upperBound...])
            }
            if head.count > 64 * 1024 {
                throw CRICallError(method: "stream", code: "upgrade", message: "answer head too long")
            }
        }
    }
}
