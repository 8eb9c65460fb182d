import Crypto
import Foundation
import KyvernClient

/// `DATA/node-token`: created once with a random secret, then reused, so agents joined earlier
/// keep working across server restarts.
enum NodeTokenFile {
    static func loadOrCreate(dataDirectory: String, caPEM: String) throws -> JoinToken {
        let path = (dataDirectory as NSString).appendingPathComponent("node-token")
        if let text = try? String(contentsOfFile: path, encoding: .utf8), let token = try? JoinToken(parsing: text),
           token == JoinToken(caPEM: caPEM, secret: token.secret) {
            return token
        }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.map { String(format: "%02x", $0) }.joined()
        let token = JoinToken(caPEM: caPEM, secret: secret)
        let temporary = path + ".tmp"
        FileManager.default.createFile(atPath: temporary, contents: Data((token.text + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        guard rename(temporary, path) == 0 else {
            throw NodeTokenError(path: path, reason: String(cString: strerror(errno)))
        }
        return token
    }
}

struct NodeTokenError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "cannot write the node join token \(path): \(reason)" }
}
