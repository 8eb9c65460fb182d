import Foundation
import KyvernAPI

/// The patch formats the API accepts, by content type.
enum PatchType: Sendable {
    case jsonPatch
    case mergePatch
    case strategicMergePatch
    /// Server-side apply (`FieldManager.apply`), not a patch document.
    case apply

    init?(contentType: String?) {
        let media = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        switch media {
        case "application/json-patch+json": self = .jsonPatch
        case "application/merge-patch+json": self = .mergePatch
        case "application/strategic-merge-patch+json": self = .strategicMergePatch
        case "application/apply-patch+yaml": self = .apply
        default: return nil
        }
    }
}

/// Applies patches to JSON objects.
///
/// Strategic merge patch uses the patch metadata of `definition` (the object's schema) in `schemas`;
/// without a known definition it merges as a merge patch.
enum PatchApplier {
    static func apply(_ type: PatchType, patch: [UInt8], to object: JSONValue,
                      definition: String = "", schemas: SchemaSet = SchemaSet(definitions: [:])) throws -> JSONValue {
        if type == .apply {
            // Apply merges with ownership; the endpoints that support it call `FieldManager.apply`.
            throw APIError.unsupportedMediaType("application/apply-patch+yaml")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(patch)
        } catch {
            throw APIError.badRequest("error decoding patch: \(error)")
        }
        switch type {
        case .strategicMergePatch:
            return try StrategicMergePatch.apply(patch: document, to: object, definition: definition, schemas: schemas)
        case .mergePatch:
            guard case .object = document else {
                throw APIError.badRequest("error decoding patch: a merge patch must be a JSON object")
            }
            return mergePatch(object, document)
        case .jsonPatch:
            guard case .array(let operations) = document else {
                throw APIError.badRequest("the server rejected our request due to an error in our request: json patch must be an array")
            }
            return try JSONPatch.apply(operations, to: object)
        case .apply:
            return object
        }
    }

    /// RFC 7386.
    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchObject {
            if value.isNull {
                result[key] = nil
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }
}

/// RFC 6902 JSON Patch, with upstream's error answers.
enum JSONPatch {
    static func apply(_ operations: [JSONValue], to object: JSONValue) throws -> JSONValue {
        var document = object
        for operation in operations {
            guard let op = operation["op"]?.stringValue else {
                throw APIError.badRequest("the server rejected our request due to an error in our request: missing op")
            }
            guard let path = operation["path"]?.stringValue else {
                throw APIError.badRequest("the server rejected our request due to an error in our request: missing path")
            }
            let pointer = try parsePointer(path)
            do {
                try applyOne(op, operation, path: path, pointer: pointer, to: &document)
            } catch let error as APIError where error.code == 422 {
                // Upstream answers every failure of jsonpatch's Apply (a failed test, a missing path, an
                // unknown op) with one generic 422 whose details are empty: the cause is not returned.
                throw notApplied
            }
        }
        return document
    }

    /// The Status upstream returns when a JSON patch does not apply.
    static let notApplied = APIError(code: 422, reason: "Invalid",
                                     message: "the server rejected our request due to an error in our request",
                                     details: .init())

    private static func applyOne(_ op: String, _ operation: JSONValue, path: String, pointer: [String],
                                 to document: inout JSONValue) throws {
            switch op {
            case "add":
                document = try add(document, pointer[...], value(operation))
            case "remove":
                document = try remove(document, pointer[...])
            case "replace":
                _ = try get(document, pointer[...])
                document = try remove(document, pointer[...])
                document = try add(document, pointer[...], value(operation))
            case "move":
                let from = try parsePointer(operation["from"]?.stringValue ?? "")
                let moved = try get(document, from[...])
                document = try remove(document, from[...])
                document = try add(document, pointer[...], moved)
            case "copy":
                let from = try parsePointer(operation["from"]?.stringValue ?? "")
                document = try add(document, pointer[...], try get(document, from[...]))
            case "test":
                let actual = try? get(document, pointer[...])
                if actual != value(operation) {
                    throw APIError(code: 422, reason: "Invalid",
                                   message: "the server rejected our request due to an error in our request: testing value \(path) failed")
                }
            default:
                throw APIError(code: 422, reason: "Invalid",
                               message: "the server rejected our request due to an error in our request: Unexpected kind: \(op)")
            }
    }

    private static func value(_ operation: JSONValue) -> JSONValue {
        operation["value"] ?? .null
    }

    static func parsePointer(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else {
            throw APIError.badRequest("the server rejected our request due to an error in our request: JSON pointer must be empty or start with a \"/\"")
        }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func missing(_ path: ArraySlice<String>) -> APIError {
        APIError(code: 422, reason: "Invalid",
                 message: "the server rejected our request due to an error in our request: doc is missing path: \"/\(path.joined(separator: "/"))\"")
    }

    static func get(_ document: JSONValue, _ path: ArraySlice<String>) throws -> JSONValue {
        guard let first = path.first else { return document }
        switch document {
        case .object(let object):
            guard let child = object[first] else { throw missing(path) }
            return try get(child, path.dropFirst())
        case .array(let array):
            guard let index = Int(first), array.indices.contains(index) else { throw missing(path) }
            return try get(array[index], path.dropFirst())
        default:
            throw missing(path)
        }
    }

    static func add(_ document: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue) throws -> JSONValue {
        guard let first = path.first else { return value }
        let rest = path.dropFirst()
        switch document {
        case .object(var object):
            if rest.isEmpty {
                object[first] = value
            } else {
                guard let child = object[first] else { throw missing(path) }
                object[first] = try add(child, rest, value)
            }
            return .object(object)
        case .array(var array):
            if rest.isEmpty {
                if first == "-" {
                    array.append(value)
                } else if let index = Int(first), index >= 0, index <= array.count {
                    array.insert(value, at: index)
                } else {
                    throw missing(path)
                }
            } else {
                guard let index = Int(first), array.indices.contains(index) else { throw missing(path) }
                array[index] = try add(array[index], rest, value)
            }
            return .array(array)
        default:
            throw missing(path)
        }
    }

    static func remove(_ document: JSONValue, _ path: ArraySlice<String>) throws -> JSONValue {
        guard let first = path.first else { return .null }
        let rest = path.dropFirst()
        switch document {
        case .object(var object):
            guard let child = object[first] else { throw missing(path) }
            if rest.isEmpty {
                object.removeValue(forKey: first)
            } else {
                object[first] = try remove(child, rest)
            }
            return .object(object)
        case .array(var array):
            guard let index = Int(first), array.indices.contains(index) else { throw missing(path) }
            if rest.isEmpty { array.remove(at: index) } else { array[index] = try remove(array[index], rest) }
            return .array(array)
        default:
            throw missing(path)
        }
    }
}
