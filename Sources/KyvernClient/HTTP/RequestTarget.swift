import KyvernAPI

/// A request's method, path+query, body and content type, built without I/O so URL and query
/// construction is testable byte for byte.
struct RequestTarget: Sendable, Hashable {
    var method: String
    var path: String
    var query: [(String, String)]
    var body: [UInt8]?
    var contentType: String?

    init(method: String, path: String, query: [(String, String)] = [], body: [UInt8]? = nil, contentType: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
    }

    /// `path?query` appended to the server's base URL (whose own path prefix, if any, is kept).
    func url(server: String) -> String {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        let q = QueryString.encode(query)
        return base + path + (q.isEmpty ? "" : "?" + q)
    }

    static func == (a: RequestTarget, b: RequestTarget) -> Bool {
        a.method == b.method && a.path == b.path && a.body == b.body && a.contentType == b.contentType
            && a.query.elementsEqual(b.query, by: { $0 == $1 })
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(path)
        for (k, v) in query { hasher.combine(k); hasher.combine(v) }
        hasher.combine(body)
        hasher.combine(contentType)
    }
}

/// The request each API verb sends; separate from sending so tests see exactly what goes out.
enum Requests {
    static func get(_ ref: ResourceRef, namespace: String?, name: String, subresource: String? = nil) -> RequestTarget {
        RequestTarget(method: "GET", path: ref.path(namespace: namespace, name: name, subresource: subresource))
    }

    static func list(_ ref: ResourceRef, namespace: String?, options: ListOptions) -> RequestTarget {
        RequestTarget(method: "GET", path: ref.path(namespace: namespace), query: options.queryItems)
    }

    static func watch(_ ref: ResourceRef, namespace: String?, options: ListOptions,
                      allowWatchBookmarks: Bool) -> RequestTarget {
        var query: [(String, String)] = [("watch", "true")]
        if allowWatchBookmarks { query.append(("allowWatchBookmarks", "true")) }
        var opts = options
        opts.limit = nil
        opts.continueToken = nil
        query += opts.queryItems
        return RequestTarget(method: "GET", path: ref.path(namespace: namespace), query: query)
    }

    static func create(_ ref: ResourceRef, namespace: String?, body: [UInt8], options: WriteOptions,
                       name: String? = nil, subresource: String? = nil) -> RequestTarget {
        RequestTarget(method: "POST", path: ref.path(namespace: namespace, name: name, subresource: subresource),
                      query: options.queryItems, body: body, contentType: "application/json")
    }

    static func update(_ ref: ResourceRef, namespace: String?, name: String, subresource: String? = nil,
                       body: [UInt8], options: WriteOptions) -> RequestTarget {
        RequestTarget(method: "PUT", path: ref.path(namespace: namespace, name: name, subresource: subresource),
                      query: options.queryItems, body: body, contentType: "application/json")
    }

    static func patch(_ ref: ResourceRef, namespace: String?, name: String, subresource: String? = nil,
                      type: PatchType, body: [UInt8], options: WriteOptions) -> RequestTarget {
        var query = options.queryItems
        if case .apply(let force) = type, force { query.append(("force", "true")) }
        return RequestTarget(method: "PATCH", path: ref.path(namespace: namespace, name: name, subresource: subresource),
                             query: query, body: body, contentType: type.contentType)
    }

    static func delete(_ ref: ResourceRef, namespace: String?, name: String, options: DeleteOptions) -> RequestTarget {
        RequestTarget(method: "DELETE", path: ref.path(namespace: namespace, name: name),
                      body: options.body.serialized(), contentType: "application/json")
    }
}
