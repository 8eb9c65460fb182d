@testable import KyvernAPIServer
import Testing

@Suite("SPDY/3 frame codec")
struct SPDYFrameCodecTests {
    static let headers = [SPDYHeader("port", "8080"), SPDYHeader("requestid", "0"), SPDYHeader("streamtype", "error")]

    static let everyFrame: [SPDYFrame] = [
        .data(streamID: 1, fin: false, payload: Array("GET / HTTP/1.0\r\n\r\n".utf8)),
        .data(streamID: 3, fin: true, payload: []),
        .synStream(streamID: 1, associatedTo: 0, priority: 0, flags: 0, headers: headers),
        .synStream(streamID: 5, associatedTo: 3, priority: 7, flags: SPDYFrame.flagFin | SPDYFrame.flagUnidirectional,
                   headers: [SPDYHeader("streamtype", "data"), SPDYHeader("multi", "a\0b")]),
        .synReply(streamID: 1, flags: 0, headers: []),
        .synReply(streamID: 3, flags: SPDYFrame.flagFin, headers: [SPDYHeader("status", "200 OK")]),
        .rstStream(streamID: 3, status: SPDYFrame.ResetStatus.cancel),
        .settings(flags: 1, entries: [SPDYSetting(flags: 1, id: 7, value: 65536), SPDYSetting(flags: 0, id: 4, value: 100)]),
        .ping(id: 0xffff_fffe),
        .goAway(lastStreamID: 7, status: SPDYFrame.GoAwayStatus.protocolError),
        .headers(streamID: 9, flags: 0, headers: [SPDYHeader("x", "y")]),
        .windowUpdate(streamID: 1, delta: 0x7fff_ffff),
    ]

    /// Frames encoded with one deflate stream decode in order with one inflate stream.
    @Test func everyFrameTypeRoundTrips() throws {
        let encoder = try SPDYFrameEncoder()
        var decoder = try SPDYFrameDecoder()
        for frame in Self.everyFrame {
            decoder.append(try encoder.encode(frame))
            #expect(try decoder.next() == frame)
            #expect(try decoder.next() == nil)
        }
    }

    @Test func controlFrameLayout() throws {
        let encoder = try SPDYFrameEncoder()
        #expect(try encoder.encode(.ping(id: 1)) == [0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
        #expect(try encoder.encode(.rstStream(streamID: 5, status: 5)) == [0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0, 5])
        #expect(try encoder.encode(.data(streamID: 3, fin: true, payload: [9])) == [0, 0, 0, 3, 1, 0, 0, 1, 9])
        #expect(try encoder.encode(.goAway(lastStreamID: 3, status: 0)) == [0x80, 3, 0, 7, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0])
    }

    /// Header blocks as another zlib (Python's, level 9, the SPDY/3 dictionary) compressed them on
    /// one stream: the first names the dictionary by its Adler-32 (0xe3c6a7c2), the second relies
    /// on the window the first left.
    @Test func inflatesAPeersBlocksWithTheDictionary() throws {
        let first: [UInt8] = [120, 249, 227, 198, 167, 194, 2, 37, 58, 72, 249, 91, 4, 78, 234, 22, 6, 22, 6, 64, 154, 179, 8, 18,
                              95, 153, 160, 116, 204, 104, 0, 78, 137, 37, 69, 169, 137, 185, 208, 194, 134, 53, 21, 20, 21, 0, 0, 0, 0, 255, 255]
        let second: [UInt8] = [34, 83, 51, 168, 164, 74, 4, 0, 0, 0, 255, 255]
        let inflater = try SPDYHeaderInflater()
        #expect(try SPDYHeaderBlock.decode(inflater.decompress(first)) == Self.headers)
        #expect(try SPDYHeaderBlock.decode(inflater.decompress(second))
            == [SPDYHeader("port", "8080"), SPDYHeader("requestid", "0"), SPDYHeader("streamtype", "data")])
    }

    @Test func dictionaryIsSPDY3s() {
        let bytes = SPDYDictionary.bytes
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        #expect(bytes.count == 1423)
        #expect(b << 16 | a == 0xe3c6_a7c2)
    }

    /// Our deflate output starts a zlib stream that names the same dictionary.
    @Test func compressedBlocksNameTheDictionary() throws {
        let deflater = try SPDYHeaderDeflater()
        let block = try deflater.compress(SPDYHeaderBlock.encode(Self.headers))
        #expect(Array(block[2..<6]) == [0xe3, 0xc6, 0xa7, 0xc2])
        #expect(Array(block.suffix(4)) == [0, 0, 0xff, 0xff])
    }

    @Test func framesSplitAcrossMessagesAndJoinedInOne() throws {
        let encoder = try SPDYFrameEncoder()
        let stream = try Self.everyFrame.flatMap { try encoder.encode($0) }
        for pieceSize in [1, 3, 7, 64, stream.count] {
            var decoder = try SPDYFrameDecoder()
            var decoded: [SPDYFrame] = []
            var offset = 0
            while offset < stream.count {
                decoder.append(stream[offset..<min(offset + pieceSize, stream.count)])
                offset += pieceSize
                while let frame = try decoder.next() { decoded.append(frame) }
            }
            #expect(decoded == Self.everyFrame, "pieces of \(pieceSize) bytes")
        }
    }

    @Test func unknownControlFramesAreSkippedAndBadVersionsRejected() throws {
        var decoder = try SPDYFrameDecoder()
        decoder.append([0x80, 3, 0, 0x0a, 0, 0, 0, 2, 1, 2] + [0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 9])
        #expect(try decoder.next() == .ping(id: 9))
        var other = try SPDYFrameDecoder()
        other.append([0x80, 2, 0, 6, 0, 0, 0, 4, 0, 0, 0, 9])
        #expect(throws: SPDYError.malformed("unsupported version 2")) { try other.next() }
    }

    @Test func headerBlockRejectsTruncation() {
        let block = SPDYHeaderBlock.encode(Self.headers)
        #expect(throws: SPDYError.self) { try SPDYHeaderBlock.decode(Array(block.dropLast())) }
        #expect(throws: SPDYError.self) { try SPDYHeaderBlock.decode([0xff, 0xff, 0xff, 0xff]) }
    }
}

@Suite("Port-forward stream pairing")
struct PortForwardStreamPairsTests {
    @Test func errorThenDataMakesOneRequest() {
        var pairs = PortForwardStreamPairs()
        #expect(pairs.open(streamID: 1, headers: [SPDYHeader("streamtype", "error"), SPDYHeader("port", "80"), SPDYHeader("requestid", "0")]) == .waiting)
        #expect(pairs.open(streamID: 3, headers: [SPDYHeader("streamtype", "error"), SPDYHeader("port", "81"), SPDYHeader("requestid", "1")]) == .waiting)
        #expect(pairs.open(streamID: 5, headers: [SPDYHeader("streamtype", "data"), SPDYHeader("port", "80"), SPDYHeader("requestid", "0")])
            == .ready(.init(requestID: "0", port: 80, dataStream: 5, errorStream: 1)))
        #expect(pairs.open(streamID: 7, headers: [SPDYHeader("streamtype", "data"), SPDYHeader("port", "81"), SPDYHeader("requestid", "1")])
            == .ready(.init(requestID: "1", port: 81, dataStream: 7, errorStream: 3)))
    }

    @Test func badHeadersAreRejected() {
        var pairs = PortForwardStreamPairs()
        #expect(pairs.open(streamID: 1, headers: [SPDYHeader("port", "80")]) == .rejected("streamType header is missing"))
        #expect(pairs.open(streamID: 1, headers: [SPDYHeader("streamtype", "data")]) == .rejected("port header is missing"))
        #expect(pairs.open(streamID: 1, headers: [SPDYHeader("streamtype", "data"), SPDYHeader("port", "0")]) == .rejected("invalid port header 0"))
        #expect(pairs.open(streamID: 1, headers: [SPDYHeader("streamtype", "other"), SPDYHeader("port", "80")]) == .rejected("invalid stream type other"))
        #expect(pairs.open(streamID: 1, headers: [SPDYHeader("streamtype", "data"), SPDYHeader("port", "80"), SPDYHeader("requestid", "9")]) == .waiting)
        #expect(pairs.open(streamID: 3, headers: [SPDYHeader("streamtype", "data"), SPDYHeader("port", "80"), SPDYHeader("requestid", "9")])
            == .rejected("data stream already assigned for requestID 9"))
    }
}

@Suite("SPDY frame queue")
struct SPDYFrameQueueTests {
    /// Frames leave in queue order, encoded on one zlib stream; `write` returns once sent.
    @Test func sendsInOrderAndAcknowledgesWrites() async throws {
        let queue = SPDYFrameQueue()
        queue.post(.synReply(streamID: 1, flags: 0, headers: []))
        let sent = await withTaskGroup(of: [[UInt8]].self) { group in
            group.addTask {
                var sent: [[UInt8]] = []
                await queue.drain { sent.append($0) }
                return sent
            }
            await queue.write(.data(streamID: 1, fin: false, payload: [7]))
            queue.post(.synReply(streamID: 3, flags: 0, headers: []))
            queue.finish()
            return await group.next() ?? []
        }
        var decoder = try SPDYFrameDecoder()
        var frames: [SPDYFrame] = []
        for bytes in sent {
            decoder.append(bytes)
            while let frame = try decoder.next() { frames.append(frame) }
        }
        #expect(frames == [.synReply(streamID: 1, flags: 0, headers: []), .data(streamID: 1, fin: false, payload: [7]),
                           .synReply(streamID: 3, flags: 0, headers: [])])
        // After the end, writers do not wait.
        await queue.write(.ping(id: 1))
    }

    struct Gone: Error {}

    /// A failed send (kubectl gone) still releases every waiting writer.
    @Test func failedSendReleasesWriters() async {
        let queue = SPDYFrameQueue()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await queue.drain { _ in throw Gone() } }
            await queue.write(.data(streamID: 1, fin: false, payload: [1]))
            await queue.write(.data(streamID: 1, fin: false, payload: [2]))
            queue.finish()
        }
    }
}
