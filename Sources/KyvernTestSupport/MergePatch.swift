import Foundation
import KyvernAPI

/// RFC 7386 JSON merge patch: objects merge key by key, `null` removes, anything else replaces.
enum MergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let members) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in members {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }
}

/// The parts of strategic merge patch controllers rely on: lists of the well-known fields merge by
/// their merge key (`$patch: delete` removes an element), `finalizers` merge as a set,
/// `$deleteFromPrimitiveList/<field>` removes values, `$patch: replace` replaces; other lists are
/// replaced. The fake has no schemas, so merge keys come from a table of common fields.
enum StrategicMergePatch {
    static let mergeKeys: [String: String] = [
        "ownerReferences": "uid", "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
        "volumes": "name", "env": "name", "volumeMounts": "mountPath", "conditions": "type",
        "imagePullSecrets": "name", "hostAliases": "ip", "readinessGates": "conditionType",
    ]
    static let primitiveSets: Set<String> = ["finalizers"]

    /// nil when the patch deletes the whole value (`$patch: delete`).
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue? {
        guard case .object(var members) = patch else { return patch }
        switch members.removeValue(forKey: "$patch")?.stringValue {
        case "replace": return .object(members)
        case "delete": return nil
        default: break
        }
        var result = target.objectValue ?? [:]
        for (key, value) in members {
            if key.hasPrefix("$setElementOrder/") || key == "$retainKeys" { continue }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let removed = value.arrayValue ?? []
                if let current = result[field]?.arrayValue {
                    let kept = current.filter { !removed.contains($0) }
                    result[field] = kept.isEmpty ? nil : .array(kept)
                }
                continue
            }
            if value.isNull {
                result.removeValue(forKey: key)
            } else if case .array(let items) = value {
                result[key] = mergeList(key: key, items, into: result[key]?.arrayValue ?? [])
            } else if value.objectValue != nil {
                result[key] = apply(value, to: result[key] ?? .null)
            } else {
                result[key] = value
            }
        }
        return .object(result)
    }

    private static func mergeList(key: String, _ items: [JSONValue], into current: [JSONValue]) -> JSONValue {
        if primitiveSets.contains(key) {
            var merged = current
            for item in items where !merged.contains(item) { merged.append(item) }
            return .array(merged)
        }
        guard let mergeKey = mergeKeys[key] else {
            return .array(items.filter { $0["$patch"] == nil })
        }
        var merged = current
        for item in items {
            let id = item[mergeKey]
            let index = merged.firstIndex { $0[mergeKey] == id && id != nil }
            if item["$patch"]?.stringValue == "delete" {
                if let index { merged.remove(at: index) }
            } else if let index {
                merged[index] = apply(item, to: merged[index]) ?? merged[index]
            } else {
                merged.append(apply(item, to: .object([:])) ?? item)
            }
        }
        return .array(merged)
    }
}

/// RFC 6902 JSON patch: add, remove, replace, move, copy and test on RFC 6901 pointers.
enum JSONPatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) throws -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw APIError.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        }
        var document = target
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request")
            }
            let tokens = try pointer(path)
            switch op {
            case "add":
                document = try set(document, tokens, operation["value"] ?? .null, insert: true)
            case "remove":
                document = try remove(document, tokens).document
            case "replace":
                _ = try get(document, tokens)
                document = try set(document, tokens, operation["value"] ?? .null, insert: false)
            case "move":
                let from = try pointer(operation["from"]?.stringValue ?? "")
                let removed = try remove(document, from)
                document = try set(removed.document, tokens, removed.value, insert: true)
            case "copy":
                let from = try pointer(operation["from"]?.stringValue ?? "")
                document = try set(document, tokens, try get(document, from), insert: true)
            case "test":
                guard try get(document, tokens) == (operation["value"] ?? .null) else {
                    throw APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request")
                }
            default:
                throw APIError(code: 422, reason: "Invalid", message: "Unexpected kind: \(op)")
            }
        }
        return document
    }

    private static func pointer(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw APIError.badRequest("JSON pointer must be empty or start with a \"/\"") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func missing(_ tokens: [String]) -> APIError {
        APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request: doc is missing path: \"/\(tokens.joined(separator: "/"))\"")
    }

    private static func get(_ document: JSONValue, _ tokens: [String]) throws -> JSONValue {
        var current = document
        for token in tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { throw missing(tokens) }
                current = next
            case .array(let a):
                guard let i = Int(token), a.indices.contains(i) else { throw missing(tokens) }
                current = a[i]
            default:
                throw missing(tokens)
            }
        }
        return current
    }

    private static func set(_ document: JSONValue, _ tokens: [String], _ value: JSONValue, insert: Bool) throws -> JSONValue {
        guard let first = tokens.first else { return value }
        let rest = Array(tokens.dropFirst())
        switch document {
        case .object(var o):
            if rest.isEmpty {
                o[first] = value
            } else {
                guard let child = o[first] else { throw missing(tokens) }
                o[first] = try set(child, rest, value, insert: insert)
            }
            return .object(o)
        case .array(var a):
            if rest.isEmpty {
                if first == "-" && insert { a.append(value); return .array(a) }
                guard let i = Int(first), i >= 0, insert ? i <= a.count : i < a.count else { throw missing(tokens) }
                if insert { a.insert(value, at: i) } else { a[i] = value }
                return .array(a)
            }
            guard let i = Int(first), a.indices.contains(i) else { throw missing(tokens) }
            a[i] = try set(a[i], rest, value, insert: insert)
            return .array(a)
        default:
            throw missing(tokens)
        }
    }

    private static func remove(_ document: JSONValue, _ tokens: [String]) throws -> (document: JSONValue, value: JSONValue) {
        guard let first = tokens.first else { throw missing(tokens) }
        let rest = Array(tokens.dropFirst())
        switch document {
        case .object(var o):
            guard let child = o[first] else { throw missing(tokens) }
            if rest.isEmpty {
                o.removeValue(forKey: first)
                return (.object(o), child)
            }
            let inner = try remove(child, rest)
            o[first] = inner.document
            return (.object(o), inner.value)
        case .array(var a):
            guard let i = Int(first), a.indices.contains(i) else { throw missing(tokens) }
            if rest.isEmpty {
                let value = a.remove(at: i)
                return (.array(a), value)
            }
            let inner = try remove(a[i], rest)
            a[i] = inner.document
            return (.array(a), inner.value)
        default:
            throw missing(tokens)
        }
    }
}
