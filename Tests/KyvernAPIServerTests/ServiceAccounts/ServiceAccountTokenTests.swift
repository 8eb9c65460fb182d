import Crypto
import CryptoExtras
import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import Logging
import Synchronization
import Testing

/// One key for the suite: RSA key generation is the slow part.
private let signingKey: ServiceAccountSigningKey = try! ServiceAccountSigningKey.generate()
private let otherKey: ServiceAccountSigningKey = try! ServiceAccountSigningKey.generate()

/// A cluster of a few objects, as the authenticator's lookup sees it; objects can be removed.
private final class FakeObjects: Sendable {
    let objects: Mutex<[String: JSONValue]>

    init(_ objects: [String: JSONValue]) {
        self.objects = Mutex(objects)
    }

    var lookup: ObjectLookup {
        ObjectLookup { resource, namespace, name in
            self.objects.withLock { $0["\(resource)/\(namespace ?? "")/\(name)"] }
        }
    }

    func remove(_ key: String) {
        _ = objects.withLock { $0.removeValue(forKey: key) }
    }

    static func object(_ name: String, uid: String, extra: JSONValue = [:]) -> JSONValue {
        var object: JSONValue = ["metadata": ["name": .string(name), "uid": .string(uid)]]
        for (key, value) in extra.objectValue ?? [:] { object[key] = value }
        return object
    }

    static func standard() -> FakeObjects {
        FakeObjects([
            "serviceaccounts/ns1/builder": object("builder", uid: "sa-uid"),
            "pods/ns1/web": object("web", uid: "pod-uid", extra: ["spec": ["serviceAccountName": "builder", "nodeName": "n1"]]),
            "nodes//n1": object("n1", uid: "node-uid"),
        ])
    }
}

@Suite("ServiceAccount tokens")
struct ServiceAccountTokenTests {
    let issuer = ServiceAccountTokenIssuer(key: signingKey)
    let subject = ServiceAccountTokenIssuer.Subject(namespace: "ns1", serviceAccount: .init(name: "builder", uid: "sa-uid"))
    let boundSubject = ServiceAccountTokenIssuer.Subject(
        namespace: "ns1", serviceAccount: .init(name: "builder", uid: "sa-uid"),
        pod: .init(name: "web", uid: "pod-uid"), node: .init(name: "n1", uid: "node-uid"))

    fileprivate func authenticator(_ objects: FakeObjects, now: Date = Date()) -> ServiceAccountTokenAuthenticator {
        ServiceAccountTokenAuthenticator(issuer: issuer, lookup: objects.lookup, now: { now })
    }

    func parts(_ token: String) throws -> (header: JSONValue, claims: JSONValue) {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        try #require(segments.count == 3)
        return (try JSONValue.parse(try #require(Base64URL.decode(segments[0]))),
                try JSONValue.parse(try #require(Base64URL.decode(segments[1]))))
    }

    // MARK: - Encoding and claims

    @Test("a token is a compact RS256 JWS whose header names the key id")
    func header() throws {
        let token = try issuer.token(for: subject, audiences: ["a"], lifetime: 3600)
        let (header, _) = try parts(token)
        #expect(header == ["alg": "RS256", "kid": .string(signingKey.keyID)])
        let verified = try JSONWebToken.verify(token, keys: [signingKey.publicKey])
        #expect(verified.claims["sub"] == "system:serviceaccount:ns1:builder")
    }

    @Test("the claims are upstream's: iss, sub, aud, exp, iat, nbf, jti and kubernetes.io")
    func claimsShape() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.7)
        let claims = issuer.claims(for: boundSubject, audiences: ["https://kubernetes.default.svc.cluster.local", "vault"],
                                   lifetime: 1200, now: now, id: "the-jti")
        #expect(claims == [
            "iss": "https://kubernetes.default.svc.cluster.local",
            "sub": "system:serviceaccount:ns1:builder",
            "aud": ["https://kubernetes.default.svc.cluster.local", "vault"],
            "iat": 1_800_000_000, "nbf": 1_800_000_000, "exp": 1_800_001_200,
            "jti": "the-jti",
            "kubernetes.io": [
                "namespace": "ns1",
                "serviceaccount": ["name": "builder", "uid": "sa-uid"],
                "pod": ["name": "web", "uid": "pod-uid"],
                "node": ["name": "n1", "uid": "node-uid"],
            ],
        ])
        let unbound = issuer.claims(for: subject, audiences: ["x"], lifetime: 600, now: now, id: "j")
        #expect(unbound["kubernetes.io"]?["pod"] == nil)
        #expect(unbound["kubernetes.io"]?["node"] == nil)
    }

    @Test("the key id is base64url(SHA-256(DER public key)) and the JWKS lists it for signing")
    func keyID() throws {
        let der = signingKey.privateKey.publicKey.derRepresentation
        #expect(signingKey.keyID == Base64URL.encode(Array(SHA256.hash(data: der))))
        #expect(!signingKey.keyID.contains("="))
        let jwk = signingKey.publicKey.jwk
        #expect(jwk["kid"]?.stringValue == signingKey.keyID)
        #expect(jwk["use"] == "sig")
        #expect(jwk["kty"] == "RSA")
        #expect(jwk["alg"] == "RS256")
        #expect(jwk["e"] == "AQAB")
        #expect(Base64URL.decode(jwk["n"]?.stringValue ?? "")?.count == 256)
    }

    @Test("the discovery documents name the issuer, the JWKS address and RS256")
    func discoveryDocuments() throws {
        let discovery = ServiceAccountIssuerDiscovery(issuer: issuer.issuer, keys: [signingKey.publicKey], jwksHost: "10.0.0.1:6443")
        let configuration = try JSONValue.parse(try #require(discovery.document(at: "/.well-known/openid-configuration")).body)
        #expect(configuration == [
            "issuer": "https://kubernetes.default.svc.cluster.local",
            "jwks_uri": "https://10.0.0.1:6443/openid/v1/jwks",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        ])
        let keys = try #require(discovery.document(at: "/openid/v1/jwks"))
        #expect(keys.contentType == "application/jwk-set+json")
        #expect(try JSONValue.parse(keys.body)["keys"]?.arrayValue?.first?["kid"]?.stringValue == signingKey.keyID)
        #expect(discovery.document(at: "/openid/v1/other") == nil)
    }

    @Test("the key is made once and reused from the PKI directory")
    func keyPersistence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sa-key-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = Logger(label: "kyvern.test.sa")
        let first = try ServiceAccountSigningKey.loadOrCreate(directory: directory, logger: logger)
        let second = try ServiceAccountSigningKey.loadOrCreate(directory: directory, logger: logger)
        #expect(first.keyID == second.keyID)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/service-account.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    // MARK: - Verification

    @Test("a valid bound token authenticates as the ServiceAccount with upstream's groups and extra")
    func authenticates() async throws {
        let token = try issuer.token(for: boundSubject, audiences: issuer.apiAudiences, lifetime: 3600, id: "abc")
        let user = try #require(await authenticator(.standard()).authenticate(token: token))
        #expect(user == UserInfo(
            name: "system:serviceaccount:ns1:builder", uid: "sa-uid",
            groups: ["system:serviceaccounts", "system:serviceaccounts:ns1", "system:authenticated"],
            extra: [
                "authentication.kubernetes.io/pod-name": ["web"],
                "authentication.kubernetes.io/pod-uid": ["pod-uid"],
                "authentication.kubernetes.io/node-name": ["n1"],
                "authentication.kubernetes.io/node-uid": ["node-uid"],
                "authentication.kubernetes.io/credential-id": ["JTI=abc"],
            ]))
    }

    @Test("a token signed by another key, or altered, is refused")
    func wrongSignature() async throws {
        let objects = FakeObjects.standard()
        let foreign = try ServiceAccountTokenIssuer(key: otherKey).token(for: subject, audiences: issuer.apiAudiences, lifetime: 3600)
        #expect(await authenticator(objects).review(token: foreign, audiences: issuer.apiAudiences) == .refused("invalid signature"))

        let token = try issuer.token(for: subject, audiences: issuer.apiAudiences, lifetime: 3600)
        var segments = token.split(separator: ".").map(String.init)
        var claims = try parts(token).claims
        claims["sub"] = "system:serviceaccount:ns1:admin"
        segments[1] = Base64URL.encode(claims.serialized())
        #expect(await authenticator(objects).authenticate(token: segments.joined(separator: ".")) == nil)
        #expect(await authenticator(objects).authenticate(token: token) != nil)
    }

    @Test("alg none and HMAC tokens are refused whatever their claims")
    func algorithmConfusion() async throws {
        let claims = issuer.claims(for: subject, audiences: issuer.apiAudiences, lifetime: 3600, now: Date(), id: "x")
        for alg in ["none", "HS256"] {
            let header: JSONValue = ["alg": .string(alg), "kid": .string(signingKey.keyID)]
            let token = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized()) + ".c2ln"
            #expect(await authenticator(.standard()).review(token: token, audiences: issuer.apiAudiences)
                    == .refused("unsupported signing algorithm \(alg)"))
        }
    }

    @Test("an expired token is refused, past the one-minute leeway")
    func expired() async throws {
        let issued = Date(timeIntervalSince1970: 1_800_000_000)
        let token = try issuer.token(for: subject, audiences: issuer.apiAudiences, lifetime: 600, now: issued)
        let withinLeeway = authenticator(.standard(), now: issued.addingTimeInterval(630))
        #expect(await withinLeeway.authenticate(token: token) != nil)
        let late = authenticator(.standard(), now: issued.addingTimeInterval(700))
        #expect(await late.review(token: token, audiences: issuer.apiAudiences) == .refused("service account token has expired"))
        let early = authenticator(.standard(), now: issued.addingTimeInterval(-120))
        #expect(await early.review(token: token, audiences: issuer.apiAudiences) == .refused("service account token is not valid yet"))
    }

    @Test("a token for another audience does not authenticate to the API server")
    func wrongAudience() async throws {
        let token = try issuer.token(for: subject, audiences: ["vault"], lifetime: 3600)
        let auth = authenticator(.standard())
        #expect(await auth.authenticate(token: token) == nil)
        #expect(await auth.review(token: token, audiences: issuer.apiAudiences)
                == .refused("token audiences [\"vault\"] is invalid for the target audiences [\"https://kubernetes.default.svc.cluster.local\"]"))
        guard case .authenticated(_, let audiences) = await auth.review(token: token, audiences: ["vault", "other"]) else {
            Issue.record("a review for its own audience should authenticate")
            return
        }
        #expect(audiences == ["vault"])
    }

    @Test("deleting the bound pod or the ServiceAccount, or re-creating it, invalidates the token")
    func revocation() async throws {
        let token = try issuer.token(for: boundSubject, audiences: issuer.apiAudiences, lifetime: 3600)
        let objects = FakeObjects.standard()
        #expect(await authenticator(objects).authenticate(token: token) != nil)
        objects.remove("pods/ns1/web")
        #expect(await authenticator(objects).review(token: token, audiences: issuer.apiAudiences)
                == .refused("service account token has been invalidated"))

        let unbound = try issuer.token(for: subject, audiences: issuer.apiAudiences, lifetime: 3600)
        let recreated = FakeObjects.standard()
        recreated.objects.withLock { $0["serviceaccounts/ns1/builder"] = FakeObjects.object("builder", uid: "new-uid") }
        #expect(await authenticator(recreated).review(token: unbound, audiences: issuer.apiAudiences)
                == .refused("service account UID (new-uid) does not match claim (sa-uid)"))
        recreated.remove("serviceaccounts/ns1/builder")
        #expect(await authenticator(recreated).authenticate(token: unbound) == nil)
    }

    @Test("a pod deleted more than a minute ago invalidates its token even while it is still stored")
    func terminatingPod() async throws {
        let token = try issuer.token(for: boundSubject, audiences: issuer.apiAudiences, lifetime: 3600)
        let now = Date()
        let objects = FakeObjects.standard()
        objects.objects.withLock {
            $0["pods/ns1/web"]?[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now.addingTimeInterval(-30)))
        }
        #expect(await authenticator(objects, now: now).authenticate(token: token) != nil)
        objects.objects.withLock {
            $0["pods/ns1/web"]?[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now.addingTimeInterval(-90)))
        }
        #expect(await authenticator(objects, now: now).authenticate(token: token) == nil)
    }

    @Test("tokens of other issuers and opaque tokens are left to the other authenticators")
    func notMine() async throws {
        let auth = authenticator(.standard())
        #expect(await auth.review(token: "3f2a9c", audiences: issuer.apiAudiences) == .notMine)
        let foreignIssuer = ServiceAccountTokenIssuer(key: signingKey, issuer: "https://elsewhere")
        let token = try foreignIssuer.token(for: subject, audiences: ["https://elsewhere"], lifetime: 3600)
        #expect(await auth.review(token: token, audiences: issuer.apiAudiences) == .notMine)
    }

    // MARK: - The chain and the reviews

    @Test("the chain asks static tokens first, then ServiceAccount tokens")
    func chain() async throws {
        let token = try issuer.token(for: subject, audiences: issuer.apiAudiences, lifetime: 3600)
        let chain = TokenAuthenticators([BearerTokenAuthenticator(adminToken: "admin-secret"), authenticator(.standard())])
        #expect(await chain.authenticate(authorizationHeader: "Bearer admin-secret") == .clusterAdmin)
        #expect(await chain.authenticate(authorizationHeader: "Bearer \(token)")?.name == "system:serviceaccount:ns1:builder")
        #expect(await chain.authenticate(authorizationHeader: "Bearer \(token)x") == nil)
        #expect(await chain.authenticate(authorizationHeader: nil) == nil)
    }

    @Test("a TokenReview reports the user, the audiences, or the reason for refusal")
    func tokenReview() async throws {
        let saAuth = authenticator(.standard())
        let reviews = AuthenticationReviews(authenticators: [BearerTokenAuthenticator(adminToken: "admin-secret"), saAuth],
                                            serviceAccounts: saAuth, apiAudiences: issuer.apiAudiences)
        func review(_ spec: JSONValue) async throws -> JSONValue {
            let info = try #require(ResourceCatalog.find(group: "authentication.k8s.io", version: "v1", resource: "tokenreviews"))
            let target = try #require(RequestTarget.parse("/apis/authentication.k8s.io/v1/tokenreviews".split(separator: "/")))
            let body: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec]
            let request = ResourceRequest(method: "POST", target: target, info: info, query: QueryParameters(nil),
                                          body: body.serialized(), contentType: "application/json", accept: nil)
            guard case .json(let status, let bytes, _) = try #require(await reviews.respond(to: request)) else {
                throw APIError.internalError("not JSON")
            }
            #expect(status == 201)
            return try JSONValue.parse(bytes)
        }
        let token = try issuer.token(for: boundSubject, audiences: issuer.apiAudiences + ["vault"], lifetime: 3600)
        let status = try await review(["token": .string(token)])["status"]
        #expect(status?["authenticated"] == true)
        #expect(status?["user"]?["username"] == "system:serviceaccount:ns1:builder")
        #expect(status?["user"]?["uid"] == "sa-uid")
        #expect(status?["user"]?["extra"]?["authentication.kubernetes.io/pod-name"] == ["web"])
        #expect(status?["audiences"] == .array(issuer.apiAudiences.map { .string($0) }))

        let forVault = try await review(["token": .string(token), "audiences": ["vault"]])["status"]
        #expect(forVault?["audiences"] == ["vault"])

        let admin = try await review(["token": "admin-secret"])["status"]
        #expect(admin?["authenticated"] == true)
        #expect(admin?["user"]?["username"] == "kyvern-admin")
        let adminForVault = try await review(["token": "admin-secret", "audiences": ["vault"]])["status"]
        #expect(adminForVault?["authenticated"] == false)

        let unknown = try await review(["token": "nope"])["status"]
        #expect(unknown?["authenticated"] == false)
        #expect(unknown?["error"] == "invalid bearer token")
    }
}
