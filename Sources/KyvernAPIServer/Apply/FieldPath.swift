import KyvernAPI

/// One step of a field path, named as structured-merge-diff names them: a struct field or map key
/// (`f:`), a list-map item by its key fields (`k:`), a set item by its value (`v:`) or, for lists
/// without identity, an index (`i:`).
enum PathElement: Hashable, Sendable, Comparable {
    case field(String)
    /// Key fields sorted by name.
    case key([KeyField])
    case value(JSONValue)
    case index(Int)

    struct KeyField: Hashable, Sendable {
        var name: String
        var value: JSONValue
    }

    private var rank: Int {
        switch self {
        case .field: 0
        case .key: 1
        case .value: 2
        case .index: 3
        }
    }

    /// upstream's `PathElement.Compare` order: fields, then keys, then values, then indexes.
    static func < (lhs: PathElement, rhs: PathElement) -> Bool {
        switch (lhs, rhs) {
        case (.field(let a), .field(let b)): return a < b
        case (.index(let a), .index(let b)): return a < b
        case (.value(let a), .value(let b)): return ValueOrder.compare(a, b) < 0
        case (.key(let a), .key(let b)):
            for (x, y) in zip(a, b) {
                if x.name != y.name { return x.name < y.name }
                let c = ValueOrder.compare(x.value, y.value)
                if c != 0 { return c < 0 }
            }
            return a.count < b.count
        default: return lhs.rank < rhs.rank
        }
    }

    /// The FieldsV1 key: `f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`.
    var encoded: String {
        switch self {
        case .field(let name): return "f:" + name
        case .key(let fields):
            let body = fields.map { String(decoding: JSONValue.string($0.name).serialized(), as: UTF8.self) + ":" + Self.compact($0.value) }
            return "k:{" + body.joined(separator: ",") + "}"
        case .value(let value): return "v:" + Self.compact(value)
        case .index(let index): return "i:\(index)"
        }
    }

    /// How conflicts name the element: `.name`, `[name="c"]`, `[="x"]`, `[0]`.
    var description: String {
        switch self {
        case .field(let name): return "." + name
        case .key(let fields): return "[" + fields.map { "\($0.name)=\(Self.compact($0.value))" }.joined(separator: ",") + "]"
        case .value(let value): return "[=\(Self.compact(value))]"
        case .index(let index): return "[\(index)]"
        }
    }

    /// Parses a FieldsV1 key; nil for a malformed one.
    init?(encoded: String) {
        let body = String(encoded.dropFirst(2))
        switch encoded.prefix(2) {
        case "f:":
            self = .field(body)
        case "i:":
            guard let index = Int(body) else { return nil }
            self = .index(index)
        case "v:":
            guard let value = try? JSONValue.parse(Array(body.utf8)) else { return nil }
            self = .value(value)
        case "k:":
            guard case .object(let object)? = try? JSONValue.parse(Array(body.utf8)) else { return nil }
            self = .key(object.keys.sorted().map { KeyField(name: $0, value: object[$0]!) })
        default:
            return nil
        }
    }

    static func compact(_ value: JSONValue) -> String {
        String(decoding: value.serialized(), as: UTF8.self)
    }
}

/// A path from the object's root.
typealias FieldPath = [PathElement]

extension Array where Element == PathElement {
    /// `.spec.containers[name="c"].image`, as upstream prints conflicting fields.
    var pathDescription: String { map(\.description).joined() }
}

/// A total order on JSON values for sorting list keys and set items (numbers numerically, strings
/// bytewise, other kinds by type).
enum ValueOrder {
    static func compare(_ a: JSONValue, _ b: JSONValue) -> Int {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.int(let x), .int(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (!x ? -1 : 1)
        default:
            if let x = number(a), let y = number(b) { return x == y ? 0 : (x < y ? -1 : 1) }
            if rank(a) != rank(b) { return rank(a) < rank(b) ? -1 : 1 }
            let x = PathElement.compact(a), y = PathElement.compact(b)
            return x == y ? 0 : (x < y ? -1 : 1)
        }
    }

    private static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    private static func rank(_ value: JSONValue) -> Int {
        switch value {
        case .null: 0
        case .bool: 1
        case .int, .double: 2
        case .string: 3
        case .array: 4
        case .object: 5
        }
    }
}
