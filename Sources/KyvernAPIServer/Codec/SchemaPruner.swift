import Foundation
public import KyvernAPI

/// Walks an object along its kind's schema as upstream's decoder does: unknown fields are
/// collected (to refuse, warn about or drop), nulls dropped, and values of the wrong JSON type refused.
public struct SchemaPruner: Sendable {
    public let schemas: SchemaSet

    public init(schemas: SchemaSet) {
        self.schemas = schemas
    }

    static let anyJSON: Set<String> = [
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
    ]

    public struct Result: Sendable {
        public var value: JSONValue
        /// Paths of fields the schema does not know, e.g. `spec.foo`, `spec.containers[0].bar`.
        public var unknownFields: [String]
    }

    /// Prunes `value` as an instance of `definition`.
    /// - Throws: 400 BadRequest naming the field when a value has the wrong type.
    public func prune(_ value: JSONValue, definition: String, kind: String) throws -> Result {
        var unknown: [String] = []
        let pruned = try walk(value, type: ["ref": .string(definition)], path: "", unknown: &unknown, kind: kind, owner: kind)
        return Result(value: pruned, unknownFields: unknown)
    }

    private func join(_ path: String, _ field: String) -> String {
        path.isEmpty ? field : "\(path).\(field)"
    }

    private func walk(_ value: JSONValue, type: JSONValue, path: String, unknown: inout [String],
                      kind: String, owner: String) throws -> JSONValue {
        var type = type
        var owner = owner
        if let ref = type["ref"]?.stringValue {
            // Values of any JSON type upstream decodes with its own unmarshallers (a schema's
            // `default`, `enum`, `example`, and the schema-or-bool/array unions).
            if Self.anyJSON.contains(ref) { return value }
            guard let definition = schemas.definitions[ref] else { return value }
            type = definition
            owner = String(ref.split(separator: ".").last ?? "")
        }
        if type["x-kubernetes-preserve-unknown-fields"]?.boolValue == true || type["preserveUnknownFields"]?.boolValue == true { return value }
        let typeName = type["type"]?.stringValue ?? "object"
        func mismatch(_ expected: String) -> APIError {
            APIError.badRequest("\(kind) in version \"v1\" cannot be handled as a \(kind): json: cannot unmarshal \(value.jsonTypeName) into Go struct field \(owner).\(path) of type \(expected)")
        }
        if value.isNull { return value }
        switch typeName {
        case "object":
            guard case .object(let object) = value else { throw mismatch("object") }
            guard let properties = type["properties"]?.objectValue else { return value }
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(object.count)
            for (key, member) in object {
                guard let memberType = properties[key] else {
                    unknown.append(join(path, key))
                    continue
                }
                if member.isNull { continue }
                result[key] = try walk(member, type: memberType, path: join(path, key), unknown: &unknown, kind: kind, owner: owner)
            }
            return .object(result)
        case "map":
            guard case .object(let object) = value else { throw mismatch("map") }
            guard let values = type["values"] else { return value }
            var result: [String: JSONValue] = [:]
            for (key, member) in object {
                result[key] = try walk(member, type: values, path: join(path, key), unknown: &unknown, kind: kind, owner: owner)
            }
            return .object(result)
        case "array":
            guard case .array(let array) = value else { throw mismatch("array") }
            guard let items = type["items"] else { return value }
            var result: [JSONValue] = []
            result.reserveCapacity(array.count)
            for (index, element) in array.enumerated() {
                result.append(try walk(element, type: items, path: "\(path)[\(index)]", unknown: &unknown, kind: kind, owner: owner))
            }
            return .array(result)
        case "string":
            guard case .string = value else { throw mismatch("string") }
            return value
        case "time":
            guard case .string(let text) = value else { throw mismatch("string") }
            // Upstream's decoder parses times and writes them back in UTC.
            switch GoTimeParsing.normalize(text, micro: type["format"]?.stringValue == "micro-time") {
            case .success(let normalized): return .string(normalized)
            case .failure(let error): throw APIError.badRequest("\(kind) in version \"v1\" cannot be handled as a \(kind): \(error.message)")
            }
        case "bytes":
            guard case .string(let s) = value else { throw mismatch("[]byte") }
            if !Self.isStandardBase64(s) {
                throw APIError.badRequest("\(kind) in version \"v1\" cannot be handled as a \(kind): illegal base64 data at input byte 0 (field \(path))")
            }
            return value
        case "integer":
            let format = type["format"]?.stringValue ?? "int64"
            let integer: Int64
            switch value {
            case .int(let i): integer = i
            case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: integer = Int64(d)
            default: throw mismatch(format)
            }
            if format == "int32", Int32(exactly: integer) == nil {
                // Go's decoder names the number it could not fit.
                throw APIError.badRequest("\(kind) in version \"v1\" cannot be handled as a \(kind): json: cannot unmarshal number \(integer) into Go struct field \(owner).\(path) of type int32")
            }
            return .int(integer)
        case "number":
            switch value {
            case .int, .double: return value
            default: throw mismatch("float64")
            }
        case "boolean":
            guard case .bool = value else { throw mismatch("bool") }
            return value
        case "int-or-string":
            switch value {
            case .int, .string: return value
            case .double(let d) where d.rounded() == d: return .int(Int64(d))
            default: throw mismatch("intstr.IntOrString")
            }
        case "quantity":
            let text: String
            switch value {
            case .string(let s): text = s
            case .int(let i): text = String(i)
            case .double(let d): text = String(d)
            default: throw mismatch("resource.Quantity")
            }
            // Upstream's decoder parses every quantity and stores its canonical spelling.
            do {
                return .string(try Quantity(parsing: text.trimmingWhitespace.description).description)
            } catch {
                throw APIError.badRequest("\(kind) in version \"v1\" cannot be handled as a \(kind): \(error)")
            }
        default:
            return value
        }
    }

    /// Go's `base64.StdEncoding`: groups of four from the standard alphabet, padding only at the end.
    static func isStandardBase64(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count % 4 == 0 else { return false }
        var padding = 0
        for byte in bytes {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { return false }
            let valid = (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            guard valid else { return false }
        }
        return padding <= 2 && (padding == 0 || padding < bytes.count)
    }
}
