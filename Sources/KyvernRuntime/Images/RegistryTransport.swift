import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request to a registry or its token service.
struct RegistryRequest: Sendable {
    var method: String = "GET"
    var url: String
    var headers: [(String, String)] = []
    var timeout: Duration = .seconds(30)
}

/// A registry's answer. `body` holds the bytes unless they were streamed into a sink.
struct RegistryResponse: Sendable {
    var status: Int
    /// Header names lowercased.
    var headers: [String: String]
    var body: Data

    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Where a successful response's body goes instead of memory (blob downloads).
protocol BodySink: AnyObject, Sendable {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// HTTP for the registry client; a protocol so tests can play a registry and a token server in memory.
protocol RegistryTransport: Sendable {
    /// Sends `request`; a 2xx body goes to `sink` when one is given, every other body is collected.
    func send(_ request: RegistryRequest, sink: (any BodySink)?) async throws -> RegistryResponse
}

/// The real transport: async-http-client's shared client (redirects followed, as blob stores redirect).
struct HTTPRegistryTransport: RegistryTransport {
    var client: HTTPClient = .shared
    /// Non-streamed bodies (manifests, tokens, errors) larger than this are refused.
    var maxCollectedBody = 8 << 20

    func send(_ request: RegistryRequest, sink: (any BodySink)?) async throws -> RegistryResponse {
        var req = HTTPClientRequest(url: request.url)
        req.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { req.headers.add(name: name, value: value) }
        req.headers.replaceOrAdd(name: "User-Agent", value: "kyvern")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(req, timeout: .nanoseconds(Int64(request.timeout.components.seconds) * 1_000_000_000))
        } catch {
            throw ImageError(.unavailable, "failed to do request: \(request.method.capitalized) \"\(request.url)\": \(Self.describe(error))")
        }
        var headers: [String: String] = [:]
        for h in response.headers { headers[h.name.lowercased()] = h.value }
        let status = Int(response.status.code)
        var body = Data()
        do {
            if let sink, (200..<300).contains(status) {
                for try await var chunk in response.body {
                    try chunk.withUnsafeReadableBytes { try sink.write($0) }
                    chunk.clear()
                }
            } else {
                let buffer = try await response.body.collect(upTo: maxCollectedBody)
                body = Data(buffer.readableBytesView)
            }
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.unavailable, "failed to read response from \(request.url): \(Self.describe(error))")
        }
        return RegistryResponse(status: status, headers: headers, body: body)
    }

    /// Connection errors as a person reads them (`connection refused`), not NIO's type names.
    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connect: connection refused"
        }
        if text.contains("connectTimeout") { return "i/o timeout" }
        if text.contains("deadlineExceeded") { return "context deadline exceeded" }
        if text.contains("NIOSSL") || text.contains("handshake") { return "tls: \(text)" }
        return text
    }
}
