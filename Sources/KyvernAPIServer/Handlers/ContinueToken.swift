import Foundation
import KyvernAPI

/// The opaque `continue` token of a paginated list: the revision of the first page and the
/// key to resume at, so every page is read at the same revision.
struct ContinueToken: Sendable, Hashable {
    var revision: Int64
    var startKey: String

    func encoded() -> String {
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(revision), "start": .string(startKey)]
        return Data(json.serialized()).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String, prefix: String) throws -> ContinueToken {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let json = try? JSONValue.parse(Array(data)),
              json["v"]?.stringValue == "meta.k8s.io/v1", let revision = json["rv"]?.intValue,
              let start = json["start"]?.stringValue, start.hasPrefix(prefix) else {
            throw APIError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        return ContinueToken(revision: revision, startKey: start)
    }
}
