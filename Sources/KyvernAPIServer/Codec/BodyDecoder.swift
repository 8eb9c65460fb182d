import Foundation
public import KyvernAPI
import Yams

/// Turns a request body into a `JSONValue`, JSON or YAML by its content type.
public enum BodyDecoder {
    /// Upstream's limit on a request body.
    public static let maxBodyBytes = 3 * 1024 * 1024

    /// The protobuf field tables (`Resources/openapi/protobuf.json`), loaded on first use.
    static let protobufSchema: ProtobufSchema? = try? ProtobufSchema.bundled()

    public static func decode(_ bytes: [UInt8], contentType: String?, what: String) throws -> JSONValue {
        try decodeReportingDuplicates(bytes, contentType: contentType, what: what).value
    }

    /// Decodes and names keys that appeared twice in one JSON object (refused under strict validation).
    public static func decodeReportingDuplicates(_ bytes: [UInt8], contentType: String?, what: String) throws -> (value: JSONValue, duplicateKeys: [String]) {
        let mediaType = (contentType ?? "application/json").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? "application/json"
        switch mediaType {
        case "application/json", "application/merge-patch+json", "application/json-patch+json",
             "application/strategic-merge-patch+json", "*/*", "":
            do {
                return try JSONValue.parseReportingDuplicates(bytes)
            } catch {
                throw APIError.badRequest("\(what) in version \"v1\" cannot be handled as a \(what): \(error)")
            }
        case "application/yaml", "application/x-yaml", "text/yaml", "application/apply-patch+yaml":
            return (try decodeYAML(bytes, what: what), [])
        case KubernetesProtobuf.mediaType:
            guard let protobufSchema else { throw APIError.unsupportedMediaType(mediaType) }
            return (try KubernetesProtobuf.decode(bytes, schema: protobufSchema), [])
        default:
            throw APIError.unsupportedMediaType(mediaType)
        }
    }

    static func decodeYAML(_ bytes: [UInt8], what: String) throws -> JSONValue {
        let text = String(decoding: bytes, as: UTF8.self)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw APIError.badRequest("error converting YAML to JSON: \(error)")
        }
        guard let node else { return .null }
        return try json(from: node)
    }

    private static func json(from node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain {
                if let bool = Bool.construct(from: scalar), scalar.tag.description.hasSuffix(":bool") || ["true", "false"].contains(scalar.string.lowercased()) {
                    return .bool(bool)
                }
                if let int = Int64(scalar.string) { return .int(int) }
                if scalar.string == "null" || scalar.string == "~" || scalar.string.isEmpty { return .null }
                if let double = Double.construct(from: scalar), scalar.string.first.map({ $0.isNumber || $0 == "-" || $0 == "." || $0 == "+" }) == true {
                    return .double(double)
                }
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .array(try sequence.map { try json(from: $0) })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw APIError.badRequest("error converting YAML to JSON: unsupported map key")
                }
                object[keyScalar.string] = try json(from: value)
            }
            return .object(object)
        @unknown default:
            throw APIError.badRequest("error converting YAML to JSON: unsupported YAML node")
        }
    }
}
