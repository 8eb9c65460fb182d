import KyvernAPI

/// Small mutation helpers that read like upstream's "if unset, set" defaulting rules.
///
/// Go's decoder leaves a field at its zero value when it is absent or `null`, so "unset" here means
/// absent or null; `defaultString` also treats "" as unset, like a non-pointer Go string.
extension JSONValue {
    /// True when the member is absent or null.
    func isUnset(_ key: String) -> Bool {
        switch self[key] {
        case nil, .null?: return true
        default: return false
        }
    }

    /// True when the member is absent, null, or an empty string, array or object (Go's `len(x) == 0`).
    func isEmpty(_ key: String) -> Bool {
        switch self[key] {
        case nil, .null?: return true
        case .string(let s)?: return s.isEmpty
        case .array(let a)?: return a.isEmpty
        case .object(let o)?: return o.isEmpty
        default: return false
        }
    }

    /// Sets a pointer-typed field when it is absent or null.
    mutating func defaultValue(_ key: String, _ value: JSONValue) {
        if isUnset(key) { self[key] = value }
    }

    /// Sets a string-typed field when it is absent, null or "".
    mutating func defaultString(_ key: String, _ value: String) {
        if isUnset(key) || self[key] == "" { self[key] = .string(value) }
    }

    /// Sets a non-pointer integer field when it is absent, null or 0.
    mutating func defaultNonZero(_ key: String, _ value: Int64) {
        if isUnset(key) || self[key]?.intValue == 0 { self[key] = .int(value) }
    }

    /// Runs `body` on the member when it is an object; absent members are left alone.
    mutating func modify(_ key: String, _ body: (inout JSONValue) -> Void) {
        guard case .object(var members) = self, var child = members[key], child.objectValue != nil else { return }
        self = .null
        members[key] = nil
        body(&child)
        members[key] = child
        self = .object(members)
    }

    /// Runs `body` on the member at `path` when every step is an object.
    mutating func modify(path: [String], _ body: (inout JSONValue) -> Void) {
        guard let first = path.first else { body(&self); return }
        modify(first) { $0.modify(path: Array(path.dropFirst()), body) }
    }

    /// Runs `body` on each element of the array member (elements that are not objects are skipped).
    mutating func modifyEach(_ key: String, _ body: (inout JSONValue) -> Void) {
        guard case .object(var members) = self, case .array(var elements)? = members[key] else { return }
        self = .null
        members[key] = nil
        for index in elements.indices where elements[index].objectValue != nil {
            body(&elements[index])
        }
        members[key] = .array(elements)
        self = .object(members)
    }
}
