import KyvernAPI
import NIOCore
import Testing
@testable import KyvernClient

@Suite struct WatchDecodingTests {
    static let stream = Array("""
        {"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"caf\u{e9}","resourceVersion":"5"}}}
        {"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"6"}}}\r
        
        {"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"7"}}}
        {"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"9"}}}
        {"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"boom","reason":"InternalError","code":500}}

        """.utf8)

    static let expected: [WatchEvent] = [
        .added(["kind": "Pod", "metadata": ["name": "caf\u{e9}", "resourceVersion": "5"]]),
        .modified(["kind": "Pod", "metadata": ["name": "a", "resourceVersion": "6"]]),
        .deleted(["kind": "Pod", "metadata": ["name": "a", "resourceVersion": "7"]]),
        .bookmark(["kind": "Pod", "metadata": ["resourceVersion": "9"]]),
        .error(APIError(code: 500, reason: "InternalError", message: "boom")),
    ]

    @Test func wholeStreamInOneChunk() throws {
        var decoder = WatchDecoder()
        var events = try decoder.feed(Self.stream)
        events += try decoder.finish()
        #expect(events == Self.expected)
    }

    /// Every chunk size, so events (and the two-byte "é") are split at every possible offset.
    @Test(arguments: [1, 2, 3, 7, 64, 100]) func eventsSurviveAnyChunking(size: Int) throws {
        var decoder = WatchDecoder()
        var events: [WatchEvent] = []
        var offset = 0
        while offset < Self.stream.count {
            let end = min(offset + size, Self.stream.count)
            events += try decoder.feed(Self.stream[offset..<end])
            offset = end
        }
        events += try decoder.finish()
        #expect(events == Self.expected)
    }

    @Test func partialLineWaitsForItsNewlineOrTheEnd() throws {
        var decoder = WatchDecoder()
        #expect(try decoder.feed(Array(#"{"type":"ADDED","object":{"a":1"#.utf8)).isEmpty)
        #expect(try decoder.feed(Array("}}".utf8)).isEmpty)
        #expect(try decoder.finish() == [.added(["a": 1])])
        #expect(try decoder.finish().isEmpty)
    }

    @Test func goneEndsTheWatchAsExpired() throws {
        let line = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (50)","reason":"Expired","code":410}}"#
        #expect(throws: WatchError.expired(APIError(code: 410, reason: "Expired", message: "too old resource version: 1 (50)"))) {
            try WatchEvent.decode(line: Array(line.utf8))
        }
    }

    @Test func malformedLinesAreErrors() {
        #expect(throws: WatchError.malformedEvent("unknown event type NOPE")) {
            try WatchEvent.decode(line: Array(#"{"type":"NOPE","object":{}}"#.utf8))
        }
        #expect(throws: WatchError.malformedEvent("ADDED event has no object")) {
            try WatchEvent.decode(line: Array(#"{"type":"ADDED"}"#.utf8))
        }
        #expect(throws: WatchError.self) { try WatchEvent.decode(line: Array("{not json".utf8)) }
    }

    @Test func readerPullsEventsFromBodyChunks() async throws {
        let chunks = stride(from: 0, to: Self.stream.count, by: 5).map {
            ByteBuffer(bytes: Self.stream[$0..<min($0 + 5, Self.stream.count)])
        }
        let reader = WatchReader(body: ChunkIterator(chunks: chunks))
        var events: [WatchEvent] = []
        while let event = try await reader.next() { events.append(event) }
        #expect(events == Self.expected)
        #expect(try await reader.next() == nil)
    }
}

/// A response body delivering fixed chunks, as the HTTP client would.
struct ChunkIterator: AsyncIteratorProtocol {
    var chunks: [ByteBuffer]

    mutating func next() async throws -> ByteBuffer? {
        chunks.isEmpty ? nil : chunks.removeFirst()
    }
}
