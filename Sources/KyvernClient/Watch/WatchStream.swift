import AsyncHTTPClient
import KyvernAPI
import NIOCore
import NIOHTTP1

extension APIClient {
    /// Starts a watch and returns its events.
    ///
    /// The request is sent before returning, so a refused watch (403, 404, 410 on the request
    /// itself) throws here. The stream pulls from the response body only as the consumer iterates
    /// (no task of its own), ends when the server closes the watch (its `timeoutSeconds`), and
    /// throws ``WatchError/expired(_:)`` when the resourceVersion is too old.
    ///
    /// Cancelling the consuming task ends the stream, and releasing the stream (the usual
    /// `for try await` over a stream nothing else keeps) cancels the request; either way the
    /// connection closes at once instead of when the server's `timeoutSeconds` ends the watch.
    /// A stream kept after its consumer broke out holds the connection until it is released.
    public func watch(_ ref: ResourceRef, namespace: String?,
                      options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        let target = Requests.watch(ref, namespace: namespace, options: options,
                                    allowWatchBookmarks: options.allowWatchBookmarks)
        let deadline: NIODeadline = options.timeoutSeconds.map { .now() + .seconds(Int64($0) + 60) } ?? .distantFuture
        let response = try await watchHTTP.execute(try await makeRequest(target), deadline: deadline, logger: logger)
        let code = Int(response.status.code)
        guard (200..<300).contains(code) else {
            let body = try await response.body.collect(upTo: 1024 * 1024)
            let error = StatusMapping.error(httpCode: code, body: Array(body.readableBytesView))
            if code == 410 { throw WatchError.expired(error) }
            throw error
        }
        let reader = WatchReader(body: response.body.makeAsyncIterator())
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    /// ``watch(_:namespace:options:)`` with the options spelled out; bookmarks are asked for by default.
    public func watch(_ ref: ResourceRef, namespace: String? = nil, resourceVersion: String? = nil,
                      labelSelector: String? = nil, fieldSelector: String? = nil, timeoutSeconds: Int? = nil,
                      allowWatchBookmarks: Bool = true) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try await watch(ref, namespace: namespace, options: ListOptions(
            labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds, allowWatchBookmarks: allowWatchBookmarks))
    }
}

/// The pull side of one watch: body chunks in, decoded events out.
///
/// `AsyncThrowingStream(unfolding:)` calls `next()` strictly one at a time, which is what makes the
/// unchecked sendability sound.
final class WatchReader<Body: AsyncIteratorProtocol>: @unchecked Sendable where Body.Element == ByteBuffer {
    private var body: Body
    private var decoder = WatchDecoder()
    /// Decoded events not yet handed out, from `readyIndex` on (a chunk may hold many).
    private var ready: [WatchEvent] = []
    private var readyIndex = 0
    private var finished = false

    init(body: Body) {
        self.body = body
    }

    func next() async throws -> WatchEvent? {
        while readyIndex == ready.count {
            if finished { return nil }
            readyIndex = 0
            if let chunk = try await body.next() {
                ready = try decoder.feed(chunk.readableBytesView)
            } else {
                finished = true
                ready = try decoder.finish()
            }
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }
}

/// Bytes of a watch response in, events out; I/O-free so chunking is testable.
struct WatchDecoder: Sendable {
    private var lines = LineSplitter()

    mutating func feed(_ chunk: some Sequence<UInt8>) throws -> [WatchEvent] {
        try lines.append(chunk).map { try WatchEvent.decode(line: $0) }
    }

    mutating func finish() throws -> [WatchEvent] {
        try lines.finish().map { [try WatchEvent.decode(line: $0)] } ?? []
    }
}
