import Foundation
import HTTPTypes
import Hummingbird
import KyvernAPI
import Logging
import NIOCore
import Prometheus

/// The whole HTTP surface of the API server: authentication, then discovery, OpenAPI, health,
/// metrics, or the generic resource handler. Every failure leaves as a Kubernetes `Status`.
struct APIResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let handler: ResourceHandler
    /// Built-in and custom resources, with their discovery and OpenAPI documents.
    let served: ServedResources
    let access: RequestAccess
    let metrics: APIMetrics
    let version: JSONValue
    let readiness: Readiness
    let caCertificatePEM: String?
    let logger: Logger
    /// Routes relayed to node agents (logs, exec, attach, port-forward, metrics.k8s.io).
    var nodeProxy: NodeProxyRoutes? = nil
    /// ServiceAccount issuer discovery (OIDC configuration and JWKS), and the authentication reviews.
    var issuerDiscovery: ServiceAccountIssuerDiscovery? = nil
    var reviews: AuthenticationReviews? = nil
    /// `kyvern secrets-encrypt`'s admin endpoints under `/kyvern/`.
    var secretsEncryption: SecretsEncryptionRoutes? = nil
    /// `--max-requests-inflight` / `--max-mutating-requests-inflight`.
    var inFlight: InFlightLimiter? = nil
    /// `--audit-policy-file` / `--audit-log-path`: nil when requests are not audited.
    var auditLog: AuditLog? = nil
    /// Components under their own first path segment (the dashboard), reached before authentication.
    var mounts: [String: PathMount] = [:]

    func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let target = RequestTarget.parse(segments)
        var verb = Self.verb(method: request.method, target: target, query: request.uri.query)
        var audit = auditLog.map { AuditRecord(log: $0, request: request, target: target) }
        var response: Response
        var failure: APIError?
        do {
            response = try await route(request, segments: segments, target: target, verb: &verb, audit: &audit)
        } catch let error as APIError {
            failure = error
            response = Self.errorResponse(error)
        } catch {
            logger.error("request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            failure = APIError.internalError("\(error)")
            response = Self.errorResponse(failure!)
        }
        audit?.finish(&response, error: failure, longRunning: verb == "WATCH" && failure == nil)
        metrics.record(verb: verb, group: target?.group ?? "", version: target?.version ?? "",
                       resource: target?.resource ?? "", subresource: target?.subresource ?? "",
                       code: response.status.code, duration: ContinuousClock.now - start)
        if logger.logLevel <= .debug {
            logger.debug("request", metadata: [
                "verb": "\(verb)", "path": "\(path)", "code": "\(response.status.code)",
                "userAgent": "\(request.headers[.userAgent] ?? "")",
            ])
        }
        return response
    }

    static func verb(method: HTTPRequest.Method, target: RequestTarget?, query: String?) -> String {
        switch method {
        case .get:
            if let query, query.contains("watch=true") || query.contains("watch=1") { return "WATCH" }
            return target?.name == nil && target != nil ? "LIST" : "GET"
        case .post: return "POST"
        case .put: return "PUT"
        case .patch: return "PATCH"
        case .delete: return target?.name == nil && target != nil ? "DELETECOLLECTION" : "DELETE"
        default: return method.rawValue
        }
    }

    private func route(_ request: Request, segments: [Substring], target: RequestTarget?, verb: inout String,
                       audit: inout AuditRecord?) async throws -> Response {
        let first = segments.first.map(String.init) ?? ""
        // Health and version are open to everyone, as upstream's system:public-info-viewer allows.
        switch first {
        case "healthz", "livez", "readyz":
            return await health(first, query: QueryParameters(request.uri.query))
        case "version" where segments.count == 1:
            return Self.json(version.serialized())
        case "cacerts" where segments.count == 1:
            // Public by design: a joining node checks it against the hash in its token.
            guard let caCertificatePEM else { throw APIError.notFound(group: "", resource: "", name: "cacerts") }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: caCertificatePEM)))
        default:
            if let mount = mounts[first] {
                return try await respond(to: request, mount: mount, segments: segments)
            }
        }
        var outcome = AccessOutcome()
        let user: UserInfo
        do {
            user = try await access.admit(method: request.method.rawValue, path: request.uri.path, target: target,
                                          query: QueryParameters(request.uri.query), headers: request.headers,
                                          outcome: &outcome)
            audit?.admitted(outcome)
        } catch {
            audit?.admitted(outcome)
            throw error
        }
        if let document = issuerDiscovery?.document(at: request.uri.path) {
            var response = Self.json(document.body, contentType: document.contentType)
            response.headers[.cacheControl] = "public, max-age=3600"
            return response
        }
        let slot = try inFlight?.admit(method: request.method, target: target, query: request.uri.query, groups: user.groups)
        defer { slot?.release() }
        if first == SecretsEncryptionRoutes.root, let secretsEncryption {
            return try await secretsEncryption.respond(to: request, segments: segments, user: user)
        }
        let accept = request.headers[.accept]
        let discovery = served.discovery
        switch (first, segments.count) {
        case ("", 0):
            return Self.json(served.rootPaths)
        case ("metrics", 1):
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        case ("api", 1):
            if let version = DiscoveryDocuments.aggregatedVersion(accept: accept), let doc = discovery.aggregatedCore[version] {
                return Self.json(doc, contentType: "application/json;g=apidiscovery.k8s.io;v=\(version);as=APIGroupDiscoveryList")
            }
            return Self.json(discovery.api)
        case ("apis", 1):
            if let version = DiscoveryDocuments.aggregatedVersion(accept: accept), let doc = discovery.aggregatedGroups[version] {
                return Self.json(doc, contentType: "application/json;g=apidiscovery.k8s.io;v=\(version);as=APIGroupDiscoveryList")
            }
            return Self.json(discovery.apis)
        case ("api", 2):
            guard let list = discovery.resourceLists[String(segments[1])] else { throw Self.notFoundPath }
            return Self.json(list)
        case ("apis", 2):
            guard let group = discovery.groups[String(segments[1])] else { throw Self.notFoundPath }
            return Self.json(group)
        case ("apis", 3):
            guard let list = discovery.resourceLists["\(segments[1])/\(segments[2])"] else { throw Self.notFoundPath }
            return Self.json(list)
        case ("openapi", _):
            return try openAPIResponse(segments, accept: accept)
        default:
            break
        }
        guard let target else { throw Self.notFoundPath }
        if AccessReviews.handles(target) {
            var request = request
            var buffer = try await request.collectBody(upTo: BodyDecoder.maxBodyBytes)
            let body = buffer.readBytes(length: buffer.readableBytes) ?? []
            let reviews = AccessReviews(authorizer: access.authorizer)
            return Self.json(try await reviews.respond(method: request.method.rawValue, target: target, body: body,
                                                            contentType: request.headers[.contentType], user: user),
                             status: .created)
        }
        if let nodeProxy, let response = try await nodeProxy.respond(to: request, target: target, user: user) { return response }
        guard let info = served.find(group: target.group, version: target.version, resource: target.resource) else {
            throw Self.notFoundPath
        }
        var request = request
        var body: [UInt8] = []
        if request.method != .get {
            do {
                var buffer = try await request.collectBody(upTo: BodyDecoder.maxBodyBytes)
                body = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch {
                throw APIError.tooLarge("Request entity too large: limit is \(BodyDecoder.maxBodyBytes)")
            }
        }
        var resourceRequest = ResourceRequest(
            method: request.method.rawValue, target: target, info: info, query: QueryParameters(request.uri.query),
            body: body, contentType: request.headers[.contentType], accept: accept)
        resourceRequest.userAgent = request.headers[.userAgent]
        resourceRequest.user = user
        audit?.requestBody(body, contentType: request.headers[.contentType])
        if let reply = try await reviews?.respond(to: resourceRequest) { return response(for: reply, warnings: []) }
        let reply = try await handler.handle(&resourceRequest)
        audit?.annotate(resourceRequest.admission.auditAnnotations)
        if case .json(_, let bytes, let contentType) = reply { audit?.responseBody(bytes, contentType: contentType) }
        return response(for: reply, warnings: resourceRequest.warnings + resourceRequest.admission.all)
    }

    private func respond(to request: Request, mount: PathMount, segments: [Substring]) async throws -> Response {
        var request = request
        var body: [UInt8] = []
        if request.method != .get && request.method != .head {
            var buffer = try await request.collectBody(upTo: 64 * 1024)
            body = buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        let access = self.access, method = request.method.rawValue, path = request.uri.path, headers = request.headers
        let mountRequest = PathMountRequest(
            method: method, segments: segments.dropFirst().map(String.init), bare: !path.hasSuffix("/") && segments.count == 1,
            contentType: headers[.contentType], body: body,
            user: { try await access.admit(method: method, path: path, target: nil, query: QueryParameters(nil), headers: headers) },
            admitGet: { apiPath in
                let target = RequestTarget.parse(apiPath.split(separator: "/", omittingEmptySubsequences: true))
                return try await access.admit(method: "GET", path: apiPath, target: target, query: QueryParameters(nil), headers: headers)
            },
            bearerToken: headers[.authorization].flatMap { BearerTokenAuthenticator.bearerToken(in: $0) }.map(String.init))
        let answer = try await mount.respond(mountRequest)
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: fields,
                        body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    private func response(for reply: Reply, warnings: [String]) -> Response {
        switch reply {
        case .json(let status, let bytes, let contentType):
            var response = Self.json(bytes, status: HTTPResponse.Status(code: status), contentType: contentType)
            for warning in warnings {
                response.headers.append(HTTPField(name: .init("Warning")!, value: "299 - \"\(warning.replacingOccurrences(of: "\"", with: "\\\""))\""))
            }
            return response
        case .watch(let watch):
            let resource = watch.info.resource
            let metrics = self.metrics
            let body = ResponseBody { writer in
                metrics.watchStarted(1, resource: resource)
                do {
                    try await watch.run { buffer in
                        try await writer.write(ByteBuffer(bytes: buffer))
                        buffer.removeAll(keepingCapacity: true)
                    }
                } catch {
                    metrics.watchStarted(-1, resource: resource)
                    throw error
                }
                metrics.watchStarted(-1, resource: resource)
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache, private"], body: body)
        }
    }

    /// `ok`, or with `?verbose` one line per check, as upstream's health endpoints answer.
    private func health(_ endpoint: String, query: QueryParameters) async -> Response {
        var checks: [(String, Bool)] = [("ping", true), ("log", true), ("etcd", true)]
        if endpoint == "readyz" {
            checks.append(("informer-sync", await readiness.isReady))
            checks.append(("shutdown", true))
        }
        let healthy = checks.allSatisfy(\.1)
        let status: HTTPResponse.Status = healthy ? .ok : .internalServerError
        guard query["verbose"] != nil || !healthy else { return Self.text("ok") }
        var text = checks.map { "[\($0.1 ? "+" : "-")]\($0.0) \($0.1 ? "ok" : "failed: not ready")" }.joined(separator: "\n")
        text += "\n\(endpoint) check \(healthy ? "passed" : "failed")\n"
        return Self.text(text, status: status)
    }

    private func openAPIResponse(_ segments: [Substring], accept: String?) throws -> Response {
        guard segments.count >= 2 else { throw Self.notFoundPath }
        let openAPI = served.openAPI
        switch segments[1] {
        case "v2" where segments.count == 2:
            // kubectl asks for protocol buffers only (it validates `kind: List` files with v2).
            if OpenAPIDocuments.wantsProtobuf(accept) {
                return Self.json(openAPI.v2Protobuf, contentType: OpenAPIDocuments.v2ProtobufType)
            }
            return Self.json(openAPI.v2)
        case "v3" where segments.count == 2:
            return Self.json(openAPI.v3Index)
        case "v3":
            let path = segments.dropFirst(2).joined(separator: "/")
            guard let document = openAPI.v3Documents[path] else { throw Self.notFoundPath }
            var response = Self.json(document)
            response.headers[.eTag] = "\"\(openAPI.v3Hashes[path] ?? "")\""
            response.headers[.cacheControl] = "public, immutable"
            return response
        default:
            throw Self.notFoundPath
        }
    }

    static let notFoundPath = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource",
                                       details: .init(causes: [.init(type: "UnexpectedServerResponse", message: "404 page not found", field: "")]))

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        var response = json(error.status.serialized(), status: HTTPResponse.Status(code: error.code))
        if let retry = error.details?.retryAfterSeconds {
            response.headers[.retryAfter] = String(retry)
        }
        return response
    }
}

/// Whether the server has loaded its cache and may take traffic.
actor Readiness {
    private(set) var isReady = false
    func markReady() { isReady = true }
}
