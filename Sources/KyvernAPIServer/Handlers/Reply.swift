public import KyvernAPI

/// What a handler answers, before it becomes an HTTP response.
public enum Reply: Sendable {
    /// A JSON body.
    case json(status: Int, bytes: [UInt8], contentType: String)
    /// A stream of watch events.
    case watch(WatchResponse)

    static func object(_ value: JSONValue, status: Int = 200) -> Reply {
        .json(status: status, bytes: value.serialized(), contentType: "application/json")
    }

    static func bytes(_ bytes: [UInt8], status: Int = 200) -> Reply {
        .json(status: status, bytes: bytes, contentType: "application/json")
    }
}

/// Everything a resource handler needs to know about one request.
struct ResourceRequest: Sendable {
    var method: String
    var target: RequestTarget
    var info: ResourceInfo
    var query: QueryParameters
    var body: [UInt8]
    var contentType: String?
    var accept: String?
    /// The client's User-Agent: the field manager of a write that names none.
    var userAgent: String?
    /// Warnings to return in `Warning` headers (e.g. unknown fields under fieldValidation=Warn).
    var warnings: [String] = []
    /// Who makes the request (after impersonation). Requests the server makes itself act as the admin.
    var user: UserInfo = .clusterAdmin
    /// Warnings and audit annotations from admission steps run inside a write (shared by copies).
    var admission = AdmissionWarnings()

    var wantsTable: Bool { accept?.contains("as=Table") == true }
    var dryRun: Bool { query.all("dryRun").contains("All") }
    var namespace: String? { target.namespace }
}
