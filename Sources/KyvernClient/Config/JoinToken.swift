import AsyncHTTPClient
import Crypto
public import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The token a node uses to join a server (`DATA/node-token`), in k3s's shape:
/// `K10<sha256 of the CA certificate PEM, hex>::node:<secret>`.
///
/// Carrying the CA's hash lets a new node fetch the CA over an unverified connection (`/cacerts`)
/// and still trust it: a man in the middle cannot produce a CA with the same hash. The whole token
/// is the bearer credential.
public struct JoinToken: Sendable, Hashable {
    public var caHash: String
    public var secret: String

    public init(caHash: String, secret: String) {
        self.caHash = caHash
        self.secret = secret
    }

    /// The token for `caPEM` and a secret.
    public init(caPEM: String, secret: String) {
        self.init(caHash: Self.hash(caPEM), secret: secret)
    }

    /// Parses `K10<hash>::node:<secret>` (surrounding whitespace ignored).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("K10"), let separator = trimmed.range(of: "::node:") else {
            throw JoinTokenError.malformed
        }
        let hash = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: 3)..<separator.lowerBound])
        let secret = String(trimmed[separator.upperBound...])
        guard hash.count == 64, hash.allSatisfy(\.isHexDigit), !secret.isEmpty else { throw JoinTokenError.malformed }
        self.init(caHash: hash.lowercased(), secret: secret)
    }

    public var text: String { "K10\(caHash)::node:\(secret)" }

    public static func hash(_ pem: String) -> String {
        SHA256.hash(data: Array(pem.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Fetches the server's CA from `/cacerts`, checks it against the token and returns a client
    /// configuration that trusts that CA and authenticates with the token.
    public func bootstrap(server: String, userAgent: String = ClientConfiguration.defaultUserAgent) async throws -> ClientConfiguration {
        let pem = try await Self.fetchCertificateAuthority(server: server)
        guard Self.hash(pem) == caHash else { throw JoinTokenError.caMismatch(server: server) }
        return ClientConfiguration(server: server, certificateAuthorityPEM: pem, bearerToken: text, userAgent: userAgent)
    }
}

extension JoinToken {
    /// The CA certificate a server serves at `/cacerts`, fetched without verifying the server:
    /// the caller must check it (against a token's hash, or a copy it already trusts).
    public static func fetchCertificateAuthority(server: String) async throws -> String {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        let pem: String
        do {
            let base = server.hasSuffix("/") ? String(server.dropLast()) : server
            let response = try await client.execute(HTTPClientRequest(url: base + "/cacerts"), timeout: .seconds(10))
            guard response.status == .ok else {
                try? await client.shutdown()
                throw JoinTokenError.caUnavailable(server: server, reason: "HTTP \(response.status.code)")
            }
            pem = String(buffer: try await response.body.collect(upTo: 1 << 20))
        } catch let error as JoinTokenError {
            throw error
        } catch {
            try? await client.shutdown()
            throw JoinTokenError.caUnavailable(server: server, reason: "\(error)")
        }
        try await client.shutdown()
        return pem
    }
}

/// Why a join token could not be used.
public enum JoinTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformed
    case caUnavailable(server: String, reason: String)
    case caMismatch(server: String)

    public var description: String {
        switch self {
        case .malformed: "the join token is malformed; expected K10<ca-hash>::node:<secret> as in the server's DATA/node-token"
        case .caUnavailable(let server, let reason): "cannot fetch the CA certificate from \(server)/cacerts: \(reason)"
        case .caMismatch(let server): "the CA certificate served by \(server) does not match the join token's hash; refusing to trust it"
        }
    }
}
