import Foundation
import KyvernAPI

/// TokenReview, the create-only, never-stored review of `authentication.k8s.io/v1` that asks
/// whether a token is valid and whose it is. (SelfSubjectReview, `kubectl auth whoami`, is
/// answered with the access reviews, before a request reaches the resource handlers.)
struct AuthenticationReviews: Sendable {
    static let group = "authentication.k8s.io"

    let authenticators: [any TokenAuthenticator]
    /// Reviews ServiceAccount tokens for the audiences a TokenReview names.
    let serviceAccounts: ServiceAccountTokenAuthenticator?
    /// The API server's audiences, for reviews that name none.
    let apiAudiences: [String]

    /// The reply when `request` is a review, nil for any other request.
    func respond(to request: ResourceRequest) async throws -> Reply? {
        guard request.info.group == Self.group, request.info.resource == "tokenreviews",
              request.target.subresource == nil else { return nil }
        guard request.method == "POST", request.target.name == nil else {
            throw APIError.methodNotAllowed("the server does not allow this method on the requested resource")
        }
        let kind = request.info.kind
        var review = try BodyDecoder.decode(request.body, contentType: request.contentType, what: kind)
        if review.objectValue == nil { review = [:] }
        review["kind"] = .string(kind)
        review["apiVersion"] = .string("\(Self.group)/v1")
        var metadata = review["metadata"]?.objectValue ?? [:]
        metadata["creationTimestamp"] = .string(Timestamp.format(Date()))
        review["metadata"] = .object(metadata)
        review["status"] = try await tokenReviewStatus(review["spec"] ?? [:])
        return .object(review, status: 201)
    }

    private func tokenReviewStatus(_ spec: JSONValue) async throws -> JSONValue {
        guard let token = spec["token"]?.stringValue, !token.isEmpty else {
            throw APIError.badRequest("token is required for TokenReview in authentication")
        }
        var audiences = (spec["audiences"]?.arrayValue ?? []).compactMap(\.stringValue)
        if audiences.isEmpty { audiences = apiAudiences }

        if let serviceAccounts {
            switch await serviceAccounts.review(token: token, audiences: audiences) {
            case .authenticated(let user, let accepted):
                return ["authenticated": true, "user": Self.userInfo(user), "audiences": .array(accepted.map { .string($0) })]
            case .refused(let reason):
                return ["authenticated": false, "user": [:], "error": .string(reason)]
            case .notMine:
                break
            }
        }
        // The others know no audiences: they hold for the API server's own, as upstream wraps them.
        let implicit = audiences.filter(apiAudiences.contains)
        if !implicit.isEmpty {
            for authenticator in authenticators where !(authenticator is ServiceAccountTokenAuthenticator) {
                if let user = await authenticator.authenticate(token: token) {
                    return ["authenticated": true, "user": Self.userInfo(user), "audiences": .array(implicit.map { .string($0) })]
                }
            }
        }
        return ["authenticated": false, "user": [:], "error": "invalid bearer token"]
    }

    /// authentication.k8s.io/v1 UserInfo, empty fields omitted as Go does.
    static func userInfo(_ user: UserInfo) -> JSONValue {
        var info: JSONValue = ["username": .string(user.name)]
        if !user.uid.isEmpty { info["uid"] = .string(user.uid) }
        if !user.groups.isEmpty { info["groups"] = .array(user.groups.map { .string($0) }) }
        if !user.extra.isEmpty {
            info["extra"] = .object(user.extra.mapValues { .array($0.map { .string($0) }) })
        }
        return info
    }
}
