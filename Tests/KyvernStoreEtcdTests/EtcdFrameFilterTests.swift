import NIOCore
import NIOEmbedded
@testable import KyvernStoreEtcd
import Testing

@Suite("etcd HTTP/2 frame filter")
struct EtcdFrameFilterTests {
    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
                UInt8(stream >> 24), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    @Test func answersPingsDropsFinishedResetsAndPassesTheRest() throws {
        let channel = EmbeddedChannel(handler: EtcdFrameFilter())
        let settings = Self.frame(type: 0x4, stream: 0, payload: [])
        let ping = Self.frame(type: 0x6, stream: 0, payload: [1, 2, 3, 4, 5, 6, 7, 8])
        let pingAck = Self.frame(type: 0x6, flags: 0x1, stream: 0, payload: [8, 7, 6, 5, 4, 3, 2, 1])
        let data = Self.frame(type: 0x0, stream: 3, payload: Array(repeating: 7, count: 300))
        let resetNoError = Self.frame(type: 0x3, stream: 3, payload: [0, 0, 0, 0])
        let resetCancel = Self.frame(type: 0x3, stream: 5, payload: [0, 0, 0, 8])
        let bytes = settings + ping + data + resetNoError + pingAck + resetCancel
        // delivered in awkward pieces: a frame header split, a payload split
        for (start, end) in [(0, 5), (5, 20), (20, 200), (200, bytes.count)] {
            try channel.writeInbound(channel.allocator.buffer(bytes: bytes[start..<end]))
        }
        var passed: [UInt8] = []
        while var buffer = try channel.readInbound(as: ByteBuffer.self) {
            passed += buffer.readBytes(length: buffer.readableBytes)!
        }
        #expect(passed == settings + data + pingAck + resetCancel)
        var ack = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(ack.readBytes(length: ack.readableBytes)! == Self.frame(type: 0x6, flags: 0x1, stream: 0, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }
}
