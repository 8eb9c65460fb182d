import Foundation
import KyvernClient

/// A server joining another (`kyvern server --server URL --token T`), as k3s's: it trusts the CA
/// served at `URL/cacerts` only when its hash matches the token's (`K10<sha256 of CA>::server:<secret>`,
/// the first server's `DATA/server-token`), and only when it is also the CA in the shared datastore's
/// bootstrap — so the two servers are one cluster, not merely two that know one secret.
///
/// A plain secret (the first server's `--token`) is accepted too: the CA is then checked against the
/// datastore's bootstrap alone, which that secret authenticates.
struct ServerJoin: Sendable, Equatable {
    /// The cluster secret that seals the shared credentials.
    var secret: String
    /// The CA hash the token pins; nil for a plain secret.
    var caHash: String?

    static let fileName = "server-token"

    init(secret: String, caHash: String?) {
        self.secret = secret
        self.caHash = caHash
    }

    /// Parses `K10<64 hex>::server:<secret>` or a plain secret.
    init(parsing token: String) throws {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("K10") else {
            self.init(secret: trimmed, caHash: nil)
            return
        }
        guard let separator = trimmed.range(of: "::server:") else { throw ServerJoinError.malformed }
        let hash = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: 3)..<separator.lowerBound])
        let secret = String(trimmed[separator.upperBound...])
        guard hash.count == 64, hash.allSatisfy(\.isHexDigit), !secret.isEmpty else { throw ServerJoinError.malformed }
        self.init(secret: secret, caHash: hash.lowercased())
    }

    /// The token for another server to join with, pinning `caPEM`.
    static func text(caPEM: String, secret: String) -> String {
        "K10\(JoinToken.hash(caPEM))::server:\(secret)"
    }

    /// Fetches the CA from `server` and checks it against the token's hash.
    func fetchCertificateAuthority(server: String) async throws -> String {
        let pem = try await JoinToken.fetchCertificateAuthority(server: server)
        if let caHash, JoinToken.hash(pem) != caHash { throw ServerJoinError.caMismatch(server: server) }
        return pem
    }

    /// Writes `DATA/server-token` (mode 0600), what another server passes as `--token` to join.
    static func writeToken(dataDirectory: String, caPEM: String, secret: String) throws {
        let path = (dataDirectory as NSString).appendingPathComponent(fileName)
        guard FileManager.default.createFile(atPath: path, contents: Data((text(caPEM: caPEM, secret: secret) + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ServerJoinError.write(path: path)
        }
    }
}

enum ServerJoinError: Error, CustomStringConvertible, Equatable {
    case malformed
    case needsSharedDatastore
    case needsToken
    case caMismatch(server: String)
    case notTheDatastoresCluster(server: String)
    case noSharedCredentials(server: String)
    case write(path: String)

    var description: String {
        switch self {
        case .malformed:
            "the --token is malformed; expected K10<ca-hash>::server:<secret> as in the first server's DATA/server-token, or the cluster secret"
        case .needsSharedDatastore:
            "--server joins a server that keeps its state in etcd: give --datastore-endpoint with the same etcd endpoints as that server (servers share their datastore; a joining server has no state of its own)"
        case .needsToken:
            "--server needs --token: the first server's DATA/server-token (or its --token)"
        case .caMismatch(let server):
            "the CA certificate served by \(server) does not match the --token's hash; refusing to trust it"
        case .notTheDatastoresCluster(let server):
            "the CA certificate served by \(server) is not the CA stored in the datastore: --server and --datastore-endpoint name different clusters"
        case .noSharedCredentials(let server):
            "the datastore holds no cluster credentials: is --datastore-endpoint the etcd of \(server), and was that server started with --token?"
        case .write(let path):
            "cannot write \(path)"
        }
    }
}
