public import KyvernAPI

extension CELValue {
    /// A JSON document as CEL sees it untyped: objects are string-keyed maps, numbers int or double.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(CELValue.init(json:)))
        case .object(let o): self = .map(CELMap(stringKeyed: o.keys.sorted().map { ($0, CELValue(json: o[$0]!)) }))
        }
    }

    /// The value as JSON, for results that go back into objects; nil for kinds JSON cannot hold.
    public var jsonValue: JSONValue? {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .uint(let u): return u <= UInt64(Int64.max) ? .int(Int64(u)) : .double(Double(u))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .list(let l):
            var out: [JSONValue] = []
            for v in l { guard let j = v.jsonValue else { return nil }; out.append(j) }
            return .array(out)
        case .map(let m):
            var out: [String: JSONValue] = [:]
            for (k, v) in m.entries {
                guard case .string(let key) = k, let j = v.jsonValue else { return nil }
                out[key] = j
            }
            return .object(out)
        case .duration, .timestamp, .quantity, .url: return .string(displayString)
        default: return nil
        }
    }
}
