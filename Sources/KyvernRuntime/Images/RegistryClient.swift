import Foundation

/// Talks the OCI distribution API for one repository: resolves a reference to a manifest (negotiating
/// its type with Accept headers), fetches blobs, and answers 401s with the Bearer token flow or Basic auth.
actor RegistryClient {
    let reference: ImageReference
    private let transport: any RegistryTransport
    private let credential: RegistryCredential?
    /// The `Authorization` value that worked last, reused for every following request of the pull.
    private var authorization: String?

    init(reference: ImageReference, transport: any RegistryTransport, credentials: [RegistryCredential]) {
        self.reference = reference
        self.transport = transport
        self.credential = Self.credential(for: reference.domain, in: credentials)
    }

    var baseURL: String {
        "\(reference.usesPlainHTTP ? "http" : "https")://\(reference.registryHost)/v2/\(reference.path)"
    }

    /// The credential whose registry matches the reference's domain (`docker.io` also matches Docker Hub's aliases).
    static func credential(for domain: String, in credentials: [RegistryCredential]) -> RegistryCredential? {
        func normalise(_ s: String) -> String {
            var r = s
            for prefix in ["https://", "http://"] where r.hasPrefix(prefix) { r.removeFirst(prefix.count) }
            if let slash = r.firstIndex(of: "/") { r = String(r[..<slash]) }
            if r == "index.docker.io" || r == "registry-1.docker.io" { r = "docker.io" }
            return r
        }
        return credentials.first { normalise($0.registry) == normalise(domain) }
    }

    /// Fetches the manifest (or index) named by `ref` (a tag or digest). Returns its bytes, media type and digest.
    func manifest(_ ref: String) async throws -> (data: Data, mediaType: String?, digest: String) {
        let url = "\(baseURL)/manifests/\(ref)"
        let response = try await send(RegistryRequest(url: url, headers: [("Accept", MediaType.manifestAccept.joined(separator: ", "))]))
        switch response.status {
        case 200: break
        case 404: throw ImageError(.notFound, "\(reference): not found")
        default: throw unexpected(response, url: url)
        }
        let digest = DigestHasher.digest(of: response.body)
        if ref.hasPrefix("sha256:"), digest != ref {
            throw ImageError.digestMismatch(expected: ref, actual: digest)
        }
        return (response.body, response.header("content-type"), digest)
    }

    /// Streams the blob into `sink`; the caller verifies its digest and size.
    func blob(_ digest: String, into sink: any BodySink) async throws {
        let url = "\(baseURL)/blobs/\(digest)"
        let response = try await send(RegistryRequest(url: url, timeout: .seconds(1800)), sink: sink)
        switch response.status {
        case 200..<300: return
        case 404: throw ImageError(.notFound, "\(reference.repository)@\(digest): not found")
        default: throw unexpected(response, url: url)
        }
    }

    /// Sends with the current authorization; on a 401 answers the challenge once and retries.
    private func send(_ request: RegistryRequest, sink: (any BodySink)? = nil) async throws -> RegistryResponse {
        var request = request
        if let authorization { request.headers.append(("Authorization", authorization)) }
        let first = try await transport.send(request, sink: sink)
        guard first.status == 401 else { return first }
        let challenges = AuthChallenge.parse(first.header("www-authenticate") ?? "")
        guard let auth = try await authorize(challenges, failed: first, url: request.url) else { return first }
        authorization = auth
        request.headers.removeAll { $0.0 == "Authorization" }
        request.headers.append(("Authorization", auth))
        let second = try await transport.send(request, sink: sink)
        if second.status == 401 || second.status == 403 {
            throw ImageError(.unauthorized, "pull access denied, repository does not exist or may require authorization: \(Self.serverMessage(second) ?? "authorization failed")")
        }
        return second
    }

    /// The `Authorization` header value answering `challenges`, or nil when none can be answered.
    private func authorize(_ challenges: [AuthChallenge], failed: RegistryResponse, url: String) async throws -> String? {
        if let bearer = challenges.first(where: { $0.scheme == "bearer" }), let realm = bearer.parameters["realm"] {
            let token = try await fetchToken(realm: realm, service: bearer.parameters["service"],
                                             scope: bearer.parameters["scope"] ?? "repository:\(reference.path):pull")
            return "Bearer \(token)"
        }
        if challenges.contains(where: { $0.scheme == "basic" }) {
            guard let credential else {
                throw ImageError(.unauthorized, "pull access denied, repository does not exist or may require authorization: \(Self.serverMessage(failed) ?? "authorization failed: no basic auth credentials")")
            }
            return Self.basic(credential)
        }
        throw unexpected(failed, url: url)
    }

    /// GETs a token from the realm, with Basic credentials when we have them (anonymous otherwise).
    private func fetchToken(realm: String, service: String?, scope: String) async throws -> String {
        guard var components = URLComponents(string: realm), components.scheme == "http" || components.scheme == "https" else {
            throw ImageError(.unauthorized, "invalid token realm \"\(realm)\"")
        }
        var items = components.queryItems ?? []
        if let service { items.append(URLQueryItem(name: "service", value: service)) }
        for s in scope.split(separator: " ") { items.append(URLQueryItem(name: "scope", value: String(s))) }
        components.queryItems = items
        let url = components.string ?? realm
        var headers: [(String, String)] = []
        if let credential { headers.append(("Authorization", Self.basic(credential))) }
        let response = try await transport.send(RegistryRequest(url: url, headers: headers), sink: nil)
        guard response.status == 200 else {
            if response.status == 401 || response.status == 403 {
                throw ImageError(.unauthorized, "failed to fetch anonymous token: unexpected status from GET request to \(url): \(Self.statusLine(response.status))")
                    .withCredentialWording(credential != nil)
            }
            throw ImageError(.unavailable, "failed to fetch token: unexpected status from GET request to \(url): \(Self.statusLine(response.status))")
        }
        struct TokenResponse: Decodable { var token: String?; var access_token: String? }
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: response.body),
              let token = decoded.token ?? decoded.access_token, !token.isEmpty
        else { throw ImageError(.unauthorized, "token service at \(realm) answered without a token") }
        return token
    }

    static func basic(_ credential: RegistryCredential) -> String {
        "Basic " + Data("\(credential.username):\(credential.password)".utf8).base64EncodedString()
    }

    private func unexpected(_ response: RegistryResponse, url: String) -> ImageError {
        let kind: ImageError.Kind = response.status == 401 || response.status == 403 ? .unauthorized : .unavailable
        var message = "unexpected status from GET request to \(url): \(Self.statusLine(response.status))"
        if let server = Self.serverMessage(response) { message += ": \(server)" }
        return ImageError(kind, message)
    }

    /// The first error of a distribution error body: `{"errors":[{"code":"…","message":"…"}]}`.
    static func serverMessage(_ response: RegistryResponse) -> String? {
        struct Errors: Decodable { struct E: Decodable { var code: String?; var message: String? }; var errors: [E]? }
        guard let e = (try? JSONDecoder().decode(Errors.self, from: response.body))?.errors?.first else { return nil }
        return [e.code?.lowercased(), e.message].compactMap { $0 }.joined(separator: ": ")
    }

    static func statusLine(_ status: Int) -> String {
        let reasons = [400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                       429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"]
        return reasons[status].map { "\(status) \($0)" } ?? "\(status)"
    }
}

extension ImageError {
    fileprivate func withCredentialWording(_ hasCredential: Bool) -> ImageError {
        hasCredential ? ImageError(kind, message.replacingOccurrences(of: "failed to fetch anonymous token", with: "failed to fetch oauth token")) : self
    }
}
