package import Foundation
package import KyvernAPI

/// Mints ServiceAccount tokens: the claims upstream puts in them, signed with the cluster's key.
public struct ServiceAccountTokenIssuer: Sendable {
    /// Upstream's conventional issuer (and default API audience) for in-cluster tokens.
    public static let defaultIssuer = "https://kubernetes.default.svc.cluster.local"

    package let key: ServiceAccountSigningKey
    /// The `iss` claim (`--service-account-issuer`).
    package let issuer: String
    /// The API server's own audiences (`--api-audiences`, by default the issuer): a token for
    /// any of them is good for the API; a TokenRequest without audiences gets these.
    package let apiAudiences: [String]

    public init(key: ServiceAccountSigningKey, issuer: String = Self.defaultIssuer, apiAudiences: [String]? = nil) {
        self.key = key
        self.issuer = issuer
        self.apiAudiences = apiAudiences ?? [issuer]
    }

    /// An object a token is bound to: its name and uid.
    package struct Reference: Sendable, Equatable {
        package var name: String
        package var uid: String
        package init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    /// What a token says about the account and the object it is bound to.
    package struct Subject: Sendable {
        package var namespace: String
        package var serviceAccount: Reference
        package var pod: Reference?
        package var secret: Reference?
        package var node: Reference?
        package init(namespace: String, serviceAccount: Reference, pod: Reference? = nil, secret: Reference? = nil,
                     node: Reference? = nil) {
            self.namespace = namespace
            self.serviceAccount = serviceAccount
            self.pod = pod
            self.secret = secret
            self.node = node
        }
    }

    /// The claims of a token, as upstream's: registered claims plus the private `kubernetes.io` one.
    package func claims(for subject: Subject, audiences: [String], lifetime: Int64, now: Date, id: String) -> JSONValue {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        var kubernetes: JSONValue = [
            "namespace": .string(subject.namespace),
            "serviceaccount": Self.reference(subject.serviceAccount),
        ]
        if let pod = subject.pod { kubernetes["pod"] = Self.reference(pod) }
        if let secret = subject.secret { kubernetes["secret"] = Self.reference(secret) }
        if let node = subject.node { kubernetes["node"] = Self.reference(node) }
        return [
            "iss": .string(issuer),
            "sub": .string(ServiceAccountUser.name(namespace: subject.namespace, name: subject.serviceAccount.name)),
            "aud": .array(audiences.map { .string($0) }),
            "exp": .int(issuedAt + lifetime),
            "iat": .int(issuedAt),
            "nbf": .int(issuedAt),
            "jti": .string(id),
            "kubernetes.io": kubernetes,
        ]
    }

    /// A signed token for `subject`, valid `lifetime` seconds from `now`.
    package func token(for subject: Subject, audiences: [String], lifetime: Int64, now: Date = Date(),
                       id: String = UUID().uuidString.lowercased()) throws -> String {
        try JSONWebToken.sign(claims: claims(for: subject, audiences: audiences, lifetime: lifetime, now: now, id: id),
                              with: key)
    }

    private static func reference(_ reference: Reference) -> JSONValue {
        ["name": .string(reference.name), "uid": .string(reference.uid)]
    }
}

/// Upstream's naming of ServiceAccount users and groups.
package enum ServiceAccountUser {
    package static func name(namespace: String, name: String) -> String {
        "system:serviceaccount:\(namespace):\(name)"
    }

    package static func groups(namespace: String) -> [String] {
        ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"]
    }
}
