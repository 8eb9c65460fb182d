import Foundation
import KyvernAPI

/// The OpenAPI documents generated from the specification, loaded once at start-up.
struct OpenAPIDocuments: Sendable {
    let v2: [UInt8]
    /// The same document as `openapi.v2` protocol buffers (scripts/generate-openapi-v2-protobuf.py).
    let v2Protobuf: [UInt8]
    /// `/openapi/v3`: the index of group-version documents with their hashes.
    let v3Index: [UInt8]
    /// "api/v1" or "apis/apps/v1" → document bytes.
    let v3Documents: [String: [UInt8]]
    let v3Hashes: [String: String]

    static func load() throws -> OpenAPIDocuments {
        let v2 = Array(try BundledResources.data("v2.json"))
        let v2Protobuf = Array(try BundledResources.data("v2.pb"))
        let index = try JSONValue.parse(Array(try BundledResources.data("v3/index.json")))
        var documents: [String: [UInt8]] = [:]
        var hashes: [String: String] = [:]
        var paths: [String: JSONValue] = [:]
        for (path, entry) in index["paths"]?.objectValue ?? [:] {
            guard let file = entry["file"]?.stringValue, let hash = entry["hash"]?.stringValue else { continue }
            documents[path] = Array(try BundledResources.data("v3/\(file)"))
            hashes[path] = hash
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(hash)")]
        }
        return OpenAPIDocuments(v2: v2, v2Protobuf: v2Protobuf, v3Index: JSONValue.object(["paths": .object(paths)]).serialized(),
                                v3Documents: documents, v3Hashes: hashes)
    }

    static let v2ProtobufType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    /// Whether the Accept header names the protobuf form before (or without) JSON.
    static func wantsProtobuf(_ accept: String?) -> Bool {
        guard let accept else { return false }
        for entry in accept.split(separator: ",") {
            let type = entry.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if type.hasPrefix("application/com.github.proto-openapi.spec.v2") { return true }
            if type == "application/json" || type == "*/*" || type == "application/*" { return false }
        }
        return false
    }
}
