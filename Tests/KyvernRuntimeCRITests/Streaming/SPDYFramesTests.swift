import Logging
import Testing

@testable import KyvernRuntimeCRI

@Suite struct SPDYFramesTests {
    /// Undoes ``SPDYFrames/HeaderEncoder``'s stored deflate blocks (no zlib header) to the plain block.
    func stored(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var rest = bytes, out: [UInt8] = []
        while !rest.isEmpty {
            let header = Array(rest.prefix(5))
            #expect(header[0] == 0)
            let len = Int(header[1]) | Int(header[2]) << 8
            #expect(UInt16(len) == ~(UInt16(header[3]) | UInt16(header[4]) << 8))
            out += rest.dropFirst(5).prefix(len)
            rest = rest.dropFirst(5 + len)
        }
        return out
    }

    @Test func dataFrameCarriesStreamIDFinAndLength() {
        #expect(SPDYFrames.data(streamID: 3, payload: [0x61, 0x62]) == [0, 0, 0, 3, 0, 0, 0, 2, 0x61, 0x62])
        #expect(SPDYFrames.data(streamID: 3, payload: [], fin: true) == [0, 0, 0, 3, 1, 0, 0, 0])
    }

    @Test func synStreamIsAVersion3ControlFrameWithTheHeadersStored() throws {
        var encoder = SPDYFrames.HeaderEncoder()
        var buffer = SPDYFrames.synStream(streamID: 5, headerBlock: encoder.encode([("streamType", "stdin")]))
        #expect(Array(buffer.prefix(4)) == [0x80, 0x03, 0x00, 0x01])
        let frame = try #require(SPDYFrames.next(from: &buffer))
        #expect(buffer.isEmpty)
        guard case .control(let type, let flags, let payload) = frame else { Issue.record("not a control frame"); return }
        #expect(type == 1 && flags == 0)
        #expect(Array(payload.prefix(4)) == [0, 0, 0, 5])
        let block = payload.dropFirst(10)
        #expect(Array(block.prefix(2)) == [0x78, 0x01])  // zlib header, (0x78 << 8 | 0x01) % 31 == 0
        let plain = stored(block.dropFirst(2))
        // one pair, the name lowercased (SPDY/3 requires it), 32-bit lengths
        #expect(plain == [0, 0, 0, 1, 0, 0, 0, 10] + Array("streamtype".utf8) + [0, 0, 0, 5] + Array("stdin".utf8))
        #expect(Array(block.suffix(5)) == [0, 0, 0, 0xff, 0xff])  // ends as a sync flush does
        // the next block continues the same zlib stream: no second zlib header
        let second = encoder.encode([("streamtype", "stdout")])
        #expect(second.first == 0 && stored(second[...]).count == 4 + 4 + 10 + 4 + 6)
    }

    @Test func nextWaitsForAWholeFrameAndKeepsTheRest() {
        let ping = SPDYFrames.control(.ping, flags: 0, payload: [0, 0, 0, 2])
        let data = SPDYFrames.data(streamID: 1, payload: Array("out".utf8))
        var buffer = Array((ping + data).prefix(10))
        #expect(SPDYFrames.next(from: &buffer) == nil)
        #expect(buffer.count == 10)
        buffer = ping + data
        #expect(SPDYFrames.next(from: &buffer) == .control(type: 6, flags: 0, payload: [0, 0, 0, 2]))
        #expect(SPDYFrames.next(from: &buffer) == .data(streamID: 1, flags: 0, payload: Array("out".utf8)))
        #expect(SPDYFrames.next(from: &buffer) == nil && buffer.isEmpty)
    }

    @Test func sessionOpensUpstreamsStreamsForTheRequest() {
        let plain = CRISpdySession(url: "http://127.0.0.1:1/exec/x", stdin: true, tty: false, logger: .init(label: "t"))
        #expect(plain.streams.map(\.type) == ["error", "stdin", "stdout", "stderr"])
        let tty = CRISpdySession(url: "http://127.0.0.1:1/exec/x", stdin: false, tty: true, logger: .init(label: "t"))
        #expect(tty.streams.map(\.type) == ["error", "stdout", "resize"])
        #expect(tty.streams.map(\.channel) == [3, 1, 4])
    }
}
