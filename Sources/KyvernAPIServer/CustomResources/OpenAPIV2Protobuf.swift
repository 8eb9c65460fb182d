import Foundation
import KyvernAPI

/// Paths and definitions in the `openapi.v2` protocol buffer form (gnostic's OpenAPIv2.proto, the
/// form kubectl asks `/openapi/v2` for), with the field numbers scripts/generate-openapi-v2-protobuf.py
/// uses for the built-in document. Protobuf merges a message that appears twice, so a `Document`
/// holding only the custom paths and definitions, appended to the built-in bytes, adds them.
enum OpenAPIV2Protobuf {
    /// A `Document` with only `paths` (8) and `definitions` (9).
    static func fragment(paths: [String: JSONValue], definitions: [String: JSONValue]) -> [UInt8] {
        var pathItems: [UInt8] = []
        for (path, item) in paths.sorted(by: { $0.key < $1.key }) {
            pathItems += message(2, string(1, path) + message(2, pathItem(item)))
        }
        var schemas: [UInt8] = []
        for (name, schema) in definitions.sorted(by: { $0.key < $1.key }) {
            schemas += namedSchema(1, name, schema)
        }
        return message(8, pathItems) + message(9, schemas)
    }

    // MARK: openapi.v2 messages

    static func schema(_ s: JSONValue) -> [UInt8] {
        var out = string(1, s["$ref"]) + string(2, s["format"]) + string(3, s["title"]) + string(4, s["description"])
        if let value = s["default"] { out += message(5, any(value)) }
        out += double(6, s["multipleOf"]) + double(7, s["maximum"]) + boolean(8, s["exclusiveMaximum"])
        out += double(9, s["minimum"]) + boolean(10, s["exclusiveMinimum"])
        out += int64(11, s["maxLength"]) + int64(12, s["minLength"]) + string(13, s["pattern"])
        out += int64(14, s["maxItems"]) + int64(15, s["minItems"]) + boolean(16, s["uniqueItems"])
        out += int64(17, s["maxProperties"]) + int64(18, s["minProperties"])
        out += strings(19, s["required"])
        for value in s["enum"]?.arrayValue ?? [] { out += message(20, any(value)) }
        switch s["additionalProperties"] {
        case .object?: out += message(21, message(1, schema(s["additionalProperties"]!)))
        case .bool(let allowed)?: out += message(21, key(2, 0) + varint(allowed ? 1 : 0))
        default: break
        }
        if let type = s["type"] {
            out += message(22, strings(1, type.arrayValue != nil ? type : .array([type])))
        }
        if let items = s["items"] {
            out += message(23, (items.arrayValue ?? [items]).flatMap { message(1, schema($0)) })
        }
        for part in s["allOf"]?.arrayValue ?? [] { out += message(24, schema(part)) }
        if let properties = s["properties"]?.objectValue {
            out += message(25, properties.sorted { $0.key < $1.key }.flatMap { namedSchema(1, $0.key, $0.value) })
        }
        out += string(26, s["discriminator"]) + boolean(27, s["readOnly"])
        if let example = s["example"] { out += message(30, any(example)) }
        return out + extensions(31, s)
    }

    static func namedSchema(_ field: Int, _ name: String, _ s: JSONValue) -> [UInt8] {
        message(field, string(1, name) + message(2, schema(s)))
    }

    static func pathItem(_ item: JSONValue) -> [UInt8] {
        var out = string(1, item["$ref"])
        for (field, verb) in [(2, "get"), (3, "put"), (4, "post"), (5, "delete"), (6, "options"), (7, "head"), (8, "patch")] {
            if let op = item[verb] { out += message(field, operation(op)) }
        }
        for parameter in item["parameters"]?.arrayValue ?? [] { out += message(9, parametersItem(parameter)) }
        return out + extensions(10, item)
    }

    static func operation(_ op: JSONValue) -> [UInt8] {
        var out = strings(1, op["tags"]) + string(2, op["summary"]) + string(3, op["description"])
        out += string(5, op["operationId"]) + strings(6, op["produces"]) + strings(7, op["consumes"])
        for parameter in op["parameters"]?.arrayValue ?? [] { out += message(8, parametersItem(parameter)) }
        var codes: [UInt8] = []
        for (code, value) in (op["responses"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            codes += message(1, string(1, code) + message(2, message(1, response(value))))
        }
        out += message(9, codes)
        out += strings(10, op["schemes"]) + boolean(11, op["deprecated"])
        return out + extensions(13, op)
    }

    static func response(_ r: JSONValue) -> [UInt8] {
        var out = string(1, r["description"])
        if let s = r["schema"] { out += message(2, message(1, schema(s))) }
        return out + extensions(5, r)
    }

    static func parametersItem(_ p: JSONValue) -> [UInt8] {
        if let target = p["$ref"] { return message(2, string(1, target)) }
        return message(1, parameter(p))
    }

    static func parameter(_ p: JSONValue) -> [UInt8] {
        if p["in"]?.stringValue == "body" {
            let body = string(1, p["description"]) + string(2, p["name"]) + string(3, "body") + boolean(4, p["required"])
                + message(5, schema(p["schema"] ?? [:])) + extensions(6, p)
            return message(1, body)
        }
        return message(2, nonBodyParameter(p))
    }

    /// header = 1, formData = 2, query = 3, path = 4; query and formData carry `allowEmptyValue` (5)
    /// and shift the later fields by one.
    static func nonBodyParameter(_ p: JSONValue) -> [UInt8] {
        let location = p["in"]?.stringValue ?? "query"
        let shift = location == "query" || location == "formData" ? 1 : 0
        var body = boolean(1, p["required"]) + string(2, location) + string(3, p["description"]) + string(4, p["name"])
        if shift == 1 { body += boolean(5, p["allowEmptyValue"]) }
        body += string(5 + shift, p["type"]) + string(6 + shift, p["format"])
        body += string(8 + shift, p["collectionFormat"])
        if let value = p["default"] { body += message(9 + shift, any(value)) }
        body += boolean(19 + shift, p["uniqueItems"])
        for value in p["enum"]?.arrayValue ?? [] { body += message(20 + shift, any(value)) }
        body += extensions(22 + shift, p)
        let choice = ["header": 1, "formData": 2, "query": 3, "path": 4][location] ?? 3
        return message(choice, body)
    }

    /// `Any{yaml = 2}` holding the value as JSON text (JSON is YAML).
    static func any(_ value: JSONValue) -> [UInt8] { string(2, String(decoding: value.serialized(), as: UTF8.self)) }

    static func extensions(_ field: Int, _ object: JSONValue) -> [UInt8] {
        (object.objectValue ?? [:]).sorted { $0.key < $1.key }.filter { $0.key.hasPrefix("x-") }
            .flatMap { message(field, string(1, $0.key) + message(2, any($0.value))) }
    }

    // MARK: wire format

    static func varint(_ value: UInt64) -> [UInt8] {
        var n = value
        var out: [UInt8] = []
        repeat {
            let byte = UInt8(n & 0x7F)
            n >>= 7
            out.append(n == 0 ? byte : byte | 0x80)
        } while n != 0
        return out
    }

    static func key(_ field: Int, _ wire: UInt64) -> [UInt8] { varint(UInt64(field) << 3 | wire) }

    static func message(_ field: Int, _ body: [UInt8]) -> [UInt8] { key(field, 2) + varint(UInt64(body.count)) + body }

    static func string(_ field: Int, _ value: String) -> [UInt8] {
        value.isEmpty ? [] : message(field, Array(value.utf8))
    }

    static func string(_ field: Int, _ value: JSONValue?) -> [UInt8] { string(field, value?.stringValue ?? "") }

    static func strings(_ field: Int, _ values: JSONValue?) -> [UInt8] {
        (values?.arrayValue ?? []).compactMap(\.stringValue).flatMap { message(field, Array($0.utf8)) }
    }

    static func boolean(_ field: Int, _ value: JSONValue?) -> [UInt8] {
        value?.boolValue == true ? key(field, 0) + varint(1) : []
    }

    static func int64(_ field: Int, _ value: JSONValue?) -> [UInt8] {
        guard let n = value?.intValue else { return [] }
        return key(field, 0) + varint(UInt64(bitPattern: n))
    }

    static func double(_ field: Int, _ value: JSONValue?) -> [UInt8] {
        let number: Double?
        switch value {
        case .int(let i)?: number = Double(i)
        case .double(let d)?: number = d
        default: number = nil
        }
        guard let number else { return [] }
        return key(field, 1) + withUnsafeBytes(of: number.bitPattern.littleEndian) { Array($0) }
    }
}
