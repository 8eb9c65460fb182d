import HTTPTypes
import Hummingbird
import KyvernAPI
import NIOCore

/// Kyvern's own admin endpoints for `kyvern secrets-encrypt`, outside the Kubernetes API:
///
///     GET  /kyvern/secrets-encryption/status
///     POST /kyvern/secrets-encryption/rotate-key
///     POST /kyvern/secrets-encryption/reencrypt?continue=<key>&limit=<n>
///
/// Only `system:masters` (the admin kubeconfig) may use them: they change how every Secret is stored.
struct SecretsEncryptionRoutes: Sendable {
    static let root = "kyvern"
    let encryption: SecretsEncryption

    func respond(to request: Request, segments: [Substring], user: UserInfo) async throws -> Response {
        guard segments.count == 3, segments[1] == "secrets-encryption" else { throw APIResponder.notFoundPath }
        let action = String(segments[2])
        let method = request.method
        guard user.groups.contains("system:masters") else {
            let verb = method == .get ? "get" : method.rawValue.lowercased()
            throw APIError(code: 403, reason: "Forbidden",
                           message: "forbidden: User \"\(user.name)\" cannot \(verb) path \"\(request.uri.path)\"")
        }
        let query = QueryParameters(request.uri.query)
        let result: JSONValue
        switch (action, method) {
        case ("status", .get):
            result = try await encryption.status()
        case ("rotate-key", .post):
            result = try await encryption.rotateKey()
        case ("reencrypt", .post):
            let limit = query["limit"].flatMap { Int($0) } ?? 100
            result = try await encryption.reencrypt(continueKey: query["continue"], limit: min(limit, 1000))
        case ("status", _), ("rotate-key", _), ("reencrypt", _):
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        default:
            throw APIResponder.notFoundPath
        }
        return APIResponder.json(result.serialized())
    }
}
