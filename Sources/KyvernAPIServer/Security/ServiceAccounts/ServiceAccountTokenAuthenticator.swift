package import Foundation
import KyvernAPI

/// Authenticates ServiceAccount JWTs, as upstream's service account token authenticator: the
/// signature, issuer, audience and validity period are checked, and then that the account — and
/// the pod, secret or node the token is bound to — still exist with the uids in the token, so
/// deleting a pod revokes its tokens at once.
public struct ServiceAccountTokenAuthenticator: TokenAuthenticator {
    /// Clock skew tolerated on `exp` and `nbf` (go-jose's default leeway, as upstream).
    static let leeway: TimeInterval = 60

    let keys: [ServiceAccountVerificationKey]
    let issuer: String
    let apiAudiences: [String]
    let lookup: ObjectLookup
    let now: @Sendable () -> Date
    let verified = VerifiedTokens()

    package init(issuer: ServiceAccountTokenIssuer, lookup: ObjectLookup, now: @escaping @Sendable () -> Date = { Date() }) {
        self.init(keys: [issuer.key.publicKey], issuer: issuer.issuer, apiAudiences: issuer.apiAudiences, lookup: lookup, now: now)
    }

    package init(keys: [ServiceAccountVerificationKey], issuer: String, apiAudiences: [String], lookup: ObjectLookup,
                 now: @escaping @Sendable () -> Date = { Date() }) {
        self.keys = keys
        self.issuer = issuer
        self.apiAudiences = apiAudiences
        self.lookup = lookup
        self.now = now
    }

    /// The result of reviewing one token.
    package enum Outcome: Sendable, Equatable {
        /// Not a token of this issuer; another authenticator may know it.
        case notMine
        /// Valid for the user, for these of the requested audiences.
        case authenticated(UserInfo, audiences: [String])
        /// One of ours but not valid, with upstream's reason.
        case refused(String)
    }

    public func authenticate(token: String) async -> UserInfo? {
        if case .authenticated(let user, _) = await review(token: token, audiences: apiAudiences) { return user }
        return nil
    }

    /// Reviews `token` for `audiences` (a TokenReview's `spec.audiences`, else the API server's).
    package func review(token: String, audiences: [String]) async -> Outcome {
        let claims: JSONValue
        if let known = verified.claims(of: token) {
            // Verified before (so of this issuer): the usual case, a client sending its token again.
            claims = known
        } else {
            // Cheap first: a JWT of another issuer is not ours to judge (nor to spend an RSA check on).
            guard let unverified = JSONWebToken.unverifiedClaims(token), unverified["iss"]?.stringValue == issuer else {
                return .notMine
            }
            do {
                claims = try JSONWebToken.verify(token, keys: keys).claims
            } catch {
                return .refused(error.description)
            }
            verified.remember(token, claims: claims)
        }
        let tokenAudiences: [String] = switch claims["aud"] {
        case .string(let one): [one]
        case .array(let many): many.compactMap(\.stringValue)
        default: []
        }
        let accepted = audiences.filter(tokenAudiences.contains)
        guard !accepted.isEmpty else {
            return .refused("token audiences \(Self.goQuoted(tokenAudiences)) is invalid for the target audiences \(Self.goQuoted(audiences))")
        }
        let now = self.now().timeIntervalSince1970
        if let exp = claims["exp"]?.intValue, now > Double(exp) + Self.leeway {
            return .refused("service account token has expired")
        }
        if let nbf = claims["nbf"]?.intValue, now < Double(nbf) - Self.leeway {
            return .refused("service account token is not valid yet")
        }
        if let iat = claims["iat"]?.intValue, now < Double(iat) - Self.leeway {
            return .refused("service account token is issued in the future")
        }
        switch await boundUser(claims) {
        case .success(let user): return .authenticated(user, audiences: accepted)
        case .failure(let failure): return .refused(failure.description)
        }
    }

    /// The user the claims name, once the account and the bound objects are found unchanged.
    private func boundUser(_ claims: JSONValue) async -> Result<UserInfo, JSONWebToken.Failure> {
        let invalidated = JSONWebToken.Failure("service account token has been invalidated")
        guard let kubernetes = claims["kubernetes.io"], let namespace = kubernetes["namespace"]?.stringValue,
              let accountName = kubernetes[path: ["serviceaccount", "name"]]?.stringValue,
              let accountUID = kubernetes[path: ["serviceaccount", "uid"]]?.stringValue,
              claims["sub"]?.stringValue == ServiceAccountUser.name(namespace: namespace, name: accountName) else {
            return .failure(JSONWebToken.Failure("service account token claims are malformed"))
        }
        guard let account = await lookup.get("serviceaccounts", namespace: namespace, name: accountName) else {
            return .failure(invalidated)
        }
        let currentUID = account[path: ["metadata", "uid"]]?.stringValue ?? ""
        guard currentUID == accountUID else {
            return .failure(JSONWebToken.Failure("service account UID (\(currentUID)) does not match claim (\(accountUID))"))
        }
        var extra: [String: [String]] = [:]
        let deletedBefore = self.now().addingTimeInterval(-Self.leeway)
        for (field, resource, namespaced) in [("pod", "pods", true), ("secret", "secrets", true)] {
            guard let name = kubernetes[path: [field, "name"]]?.stringValue else { continue }
            let claimed = kubernetes[path: [field, "uid"]]?.stringValue ?? ""
            guard let object = await lookup.get(resource, namespace: namespaced ? namespace : nil, name: name),
                  !Self.isDeleted(object, before: deletedBefore) else {
                return .failure(invalidated)
            }
            let uid = object[path: ["metadata", "uid"]]?.stringValue ?? ""
            guard uid == claimed else {
                return .failure(JSONWebToken.Failure("\(resource == "pods" ? "Pod" : "Secret") UID (\(uid)) does not match claim (\(claimed))"))
            }
            if field == "pod" {
                extra["authentication.kubernetes.io/pod-name"] = [name]
                extra["authentication.kubernetes.io/pod-uid"] = [uid]
            }
        }
        if let nodeName = kubernetes[path: ["node", "name"]]?.stringValue {
            let claimed = kubernetes[path: ["node", "uid"]]?.stringValue ?? ""
            // A node-bound token (no pod) lives as long as its node; a pod's token only names it.
            if kubernetes["pod"] == nil {
                guard let node = await lookup.get("nodes", namespace: nil, name: nodeName),
                      !Self.isDeleted(node, before: deletedBefore) else {
                    return .failure(invalidated)
                }
                let uid = node[path: ["metadata", "uid"]]?.stringValue ?? ""
                guard uid == claimed else {
                    return .failure(JSONWebToken.Failure("Node UID (\(uid)) does not match claim (\(claimed))"))
                }
            }
            extra["authentication.kubernetes.io/node-name"] = [nodeName]
            if !claimed.isEmpty { extra["authentication.kubernetes.io/node-uid"] = [claimed] }
        }
        if let id = claims["jti"]?.stringValue, !id.isEmpty {
            extra["authentication.kubernetes.io/credential-id"] = ["JTI=\(id)"]
        }
        return .success(UserInfo(name: ServiceAccountUser.name(namespace: namespace, name: accountName), uid: accountUID,
                                 groups: ServiceAccountUser.groups(namespace: namespace), extra: extra))
    }

    /// Whether the object's deletion took effect before `instant` (it is then as good as gone).
    private static func isDeleted(_ object: JSONValue, before instant: Date) -> Bool {
        guard let text = object[path: ["metadata", "deletionTimestamp"]]?.stringValue,
              let deletion = try? Date(text, strategy: .iso8601) else { return false }
        return deletion < instant
    }

    /// `["a" "b"]`, the way Go's `%q` prints a string slice.
    private static func goQuoted(_ values: [String]) -> String {
        "[" + values.map { "\"\($0)\"" }.joined(separator: " ") + "]"
    }
}
