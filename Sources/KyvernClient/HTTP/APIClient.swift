import AsyncHTTPClient
import Foundation
public import KyvernAPI
public import Logging
public import NIOCore
import NIOHTTP1

/// The dynamic client: every verb of the API for any resource, objects as `JSONValue`.
///
/// Two shared `HTTPClient`s (two connection pools) serve all callers of a component, as the API is
/// reached only through HTTP (principle 2) and components issue many small requests: one for
/// watches, which each hold a connection for minutes, and a smaller one for every other request,
/// where a burst waits briefly for a free connection instead of opening (and TLS-handshaking)
/// hundreds of new ones.
/// Failures throw `APIError` carrying the server's `Status`; 429 answers (and 5xx ones with a
/// `Retry-After`) are retried after the server's `Retry-After`, for every verb, as upstream's client does.
public struct APIClient: KubernetesClient {
    /// Where and as whom requests go.
    public let configuration: ClientConfiguration
    /// Ordinary requests: at most ``requestConnectionLimit`` connections.
    let http: HTTPClient
    /// Watches: one connection each.
    let watchHTTP: HTTPClient
    let logger: Logger
    /// How many times a throttled answer (429, or 5xx with `Retry-After`) is retried before it is thrown.
    public var maxThrottleRetries = 5
    /// Bound on one non-watch request.
    public var requestTimeout: TimeAmount = .seconds(60)
    /// Largest response body accepted (a large list).
    public var maxResponseBytes = 512 * 1024 * 1024
    /// Renewing credentials of a view made by ``authenticating(with:userAgent:)``; they replace
    /// the configuration's bearer token.
    var tokenSource: (any BearerTokenSource)?
    /// The view's own `User-Agent`, e.g. a controller's.
    var userAgentOverride: String?

    /// Builds the TLS setup and connection pool; throws for an unusable configuration (bad PEM).
    public init(configuration: ClientConfiguration, logger: Logger = Logger(label: "kyvern.client")) throws {
        self.configuration = configuration
        self.logger = logger
        var httpConfig = HTTPClient.Configuration(
            tlsConfiguration: try configuration.makeTLSConfiguration(),
            // No read timeout: a watch may be quiet for minutes.
            timeout: .init(connect: .seconds(10), read: nil))
        httpConfig.httpVersion = .http1Only
        if configuration.tlsServerName != nil {
            // Verifying against another name needs an SNI override the HTTP client lacks; refusing is
            // safer than silently skipping hostname verification.
            throw KubeconfigError("tls-server-name is not supported")
        }
        var watchConfig = httpConfig
        // HTTP/1 holds one connection per watch; the garbage collector watches every resource.
        watchConfig.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        httpConfig.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.requestConnectionLimit
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfig)
        self.watchHTTP = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: watchConfig)
    }

    /// Connections for requests other than watches. A burst of controller writes (100 claims bound
    /// at once) otherwise opened a connection per request in flight, and the TLS handshakes of
    /// those cost more CPU than the requests; queued requests wait only for a response, and more
    /// connections than this would not be served sooner by a server with a few cores.
    static let requestConnectionLimit = 32

    /// Closes the connection pools; call once when the component stops.
    public func shutdown() async throws {
        async let requests: Void = http.shutdown()
        async let watches: Void = watchHTTP.shutdown()
        try await requests
        try await watches
    }

    // MARK: verbs

    public func get(_ ref: ResourceRef, namespace: String?, name: String) async throws -> JSONValue {
        try await send(Requests.get(ref, namespace: namespace, name: name))
    }

    public func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) async throws -> JSONValue {
        try await send(Requests.list(ref, namespace: namespace, options: options))
    }

    public func create(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                       options: WriteOptions) async throws -> JSONValue {
        try await send(Requests.create(ref, namespace: namespace, body: object.serialized(), options: options))
    }

    public func update(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                       options: WriteOptions) async throws -> JSONValue {
        try await send(Requests.update(ref, namespace: namespace, name: try Self.name(of: object),
                                       body: object.serialized(), options: options))
    }

    public func getPath(_ path: String) async throws -> JSONValue {
        try await send(RequestTarget(method: "GET", path: path))
    }

    /// GETs a plain-text path (`/readyz`, `/livez`): its status code and body, errors included,
    /// for a caller that reports health rather than failing on it.
    public func probe(_ path: String) async throws -> (status: Int, body: String) {
        let request = try await makeRequest(RequestTarget(method: "GET", path: path))
        let response = try await http.execute(request, timeout: requestTimeout, logger: logger)
        let buffer = try await response.body.collect(upTo: maxResponseBytes)
        return (Int(response.status.code), String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// POSTs `body` to a path outside the resource API (Kyvern's admin endpoints).
    public func postPath(_ path: String, query: [(String, String)] = [], body: JSONValue = .object([:])) async throws -> JSONValue {
        try await send(RequestTarget(method: "POST", path: path, query: query, body: body.serialized()))
    }

    public func updateStatus(_ ref: ResourceRef, namespace: String?, _ object: JSONValue,
                             options: WriteOptions) async throws -> JSONValue {
        try await send(Requests.update(ref, namespace: namespace, name: try Self.name(of: object), subresource: "status",
                                       body: object.serialized(), options: options))
    }

    public func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String?,
                      type: PatchType, _ patch: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try await send(Requests.patch(ref, namespace: namespace, name: name, subresource: subresource,
                                      type: type, body: patch.serialized(), options: options))
    }

    @discardableResult
    public func delete(_ ref: ResourceRef, namespace: String?, name: String,
                       options: DeleteOptions) async throws -> JSONValue {
        try await send(Requests.delete(ref, namespace: namespace, name: name, options: options))
    }

    @discardableResult
    public func createSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                                  _ body: JSONValue) async throws -> JSONValue {
        try await send(Requests.create(ref, namespace: namespace, body: body.serialized(), options: .init(),
                                       name: name, subresource: subresource))
    }

    public func updateSubresource(_ ref: ResourceRef, namespace: String?, name: String, subresource: String,
                                  _ body: JSONValue, options: WriteOptions) async throws -> JSONValue {
        try await send(Requests.update(ref, namespace: namespace, name: name, subresource: subresource,
                                       body: body.serialized(), options: options))
    }

    // MARK: transport

    static func name(of object: JSONValue) throws -> String {
        guard let name = object[path: ["metadata", "name"]]?.stringValue, !name.isEmpty else {
            throw APIError.badRequest("the object has no metadata.name")
        }
        return name
    }

    func makeRequest(_ target: RequestTarget) async throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: target.url(server: configuration.server))
        request.method = HTTPMethod(rawValue: target.method)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: userAgentOverride ?? configuration.userAgent)
        if let authorization = try await authorizationHeader() {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let body = target.body {
            request.headers.add(name: "Content-Type", value: target.contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    func send(_ target: RequestTarget) async throws -> JSONValue {
        var attempt = 0
        var renewedToken = false
        while true {
            let request = try await makeRequest(target)
            let response = try await http.execute(request, timeout: requestTimeout, logger: logger)
            let buffer = try await response.body.collect(upTo: maxResponseBytes)
            let bytes = Array(buffer.readableBytesView)
            let code = Int(response.status.code)
            if (200..<300).contains(code) {
                return try JSONValue.parse(bytes)
            }
            let error = StatusMapping.error(httpCode: code, body: bytes)
            // A renewable token the server no longer accepts (its ServiceAccount was recreated):
            // once, get a new one and try again.
            if code == 401, !renewedToken, let tokenSource,
               let sent = request.headers.first(name: "Authorization")?.dropFirst("Bearer ".count) {
                renewedToken = true
                await tokenSource.tokenRejected(String(sent))
                continue
            }
            let retryAfter = response.headers.first(name: "Retry-After")
            if Self.isThrottled(code: code, retryAfter: retryAfter), attempt < maxThrottleRetries {
                attempt += 1
                let delay = Self.retryDelay(header: retryAfter, error: error)
                logger.debug("throttled by the server, retrying", metadata: ["path": "\(target.path)", "delay": "\(delay)"])
                try await Task.sleep(for: .seconds(delay))
                continue
            }
            throw error
        }
    }

    /// Whether an answer asks to be retried later, for any verb, as upstream's client judges it: every
    /// 429, and a 5xx (a server shedding load, 503) only when it says when with `Retry-After`.
    static func isThrottled(code: Int, retryAfter: String?) -> Bool {
        code == 429 || ((500...599).contains(code) && retryAfter != nil)
    }

    /// Seconds to wait after a 429: the header, else the Status's `retryAfterSeconds`, else 1; at most 10.
    static func retryDelay(header: String?, error: APIError) -> Int {
        let seconds = header.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            ?? error.details?.retryAfterSeconds ?? 1
        return min(max(seconds, 1), 10)
    }
}
