import AsyncHTTPClient
import Foundation
import KyvernAPI
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// One POST of an AdmissionReview: where to, whom to trust, how long to wait.
struct WebhookCall: Sendable {
    /// The URL as upstream builds it, with `?timeout=<n>s` appended.
    var url: String
    /// What is actually requested (a Service's port resolved to its endpoint's).
    var dialURL: String
    /// For a Service: its DNS name (verified against the certificate) and the address dialled instead.
    var dialOverride: (host: String, address: String)?
    var caBundle: [UInt8]?
    var timeoutSeconds: Int
    var body: [UInt8]
}

/// Sends AdmissionReviews; a protocol so the dispatcher is testable without sockets.
protocol WebhookTransport: Sendable {
    /// The answer's body, or throws a `WebhookTransportError` worded as Go's HTTP client would.
    func post(_ call: WebhookCall) async throws -> [UInt8]
}

struct WebhookTransportError: Error, Sendable {
    var message: String
}

/// HTTPS through AsyncHTTPClient. A failed connection is not retried (the webhook's timeout is
/// short and failurePolicy decides what happens next); clients are kept per dial override, since
/// AsyncHTTPClient resolves names per client.
final class HTTPWebhookTransport: WebhookTransport {
    private let clients = Mutex<[String: HTTPClient]>([:])

    init() {}

    func post(_ call: WebhookCall) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: call.dialURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, */*")
        request.body = .bytes(call.body)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let bundle = call.caBundle {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(bundle))
            } catch {
                throw WebhookTransportError(message: "x509: malformed certificate bundle")
            }
        }
        request.tlsConfiguration = tls
        let client = client(for: call.dialOverride)
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(Int64(call.timeoutSeconds)))
            body = try await response.body.collect(upTo: 3 << 20)
        } catch {
            throw WebhookTransportError(message: "Post \(goQuote(call.url)): \(Self.describe(error, url: call.dialURL))")
        }
        let bytes = Array(buffer: body)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw WebhookTransportError(message: Self.describe(status: Int(response.status.code), body: bytes))
        }
        return bytes
    }

    private func client(for override: (host: String, address: String)?) -> HTTPClient {
        let key = override.map { "\($0.host)=\($0.address)" } ?? ""
        return clients.withLock { clients in
            if let client = clients[key] { return client }
            var pool = HTTPClient.Configuration.ConnectionPool()
            pool.retryConnectionEstablishment = false
            var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                         timeout: .init(connect: .seconds(30), read: nil),
                                                         connectionPool: pool)
            if let override { configuration.dnsOverride = [override.host: override.address] }
            // Lives as long as the server, as the node-agent client does.
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = client
            return client
        }
    }

    /// Go's wording for the usual failures, since users search for it.
    static func describe(_ error: any Error, url: String) -> String {
        if let error = error as? HTTPClientError,
           error == .deadlineExceeded || error == .connectTimeout || error == .readTimeout {
            return "context deadline exceeded"
        }
        let text = String(describing: error)
        let host = URLComponents(string: url).map { "\($0.host ?? ""):\($0.port ?? 443)" } ?? ""
        if text.localizedCaseInsensitiveContains("connection refused") || text.contains("ECONNREFUSED") {
            return "dial tcp \(host): connect: connection refused"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
        }
        if text.contains("DeadlineExceeded") || text.contains("deadlineExceeded") || text.contains("Timeout") {
            return "context deadline exceeded"
        }
        return text
    }

    /// A non-2xx answer, as upstream's REST client reports one.
    static func describe(status: Int, body: [UInt8]) -> String {
        if let status = try? JSONValue.parse(body), status["kind"]?.stringValue == "Status",
           let message = status["message"]?.stringValue {
            return message
        }
        let text = String(decoding: body.prefix(1024), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return "an error on the server (\(goQuote(text))) has prevented the request from succeeding"
    }
}
