import KyvernAPI

/// The `fieldsV1` wire format of a `FieldSet`: an object per path element (`f:spec`), `{}` for a
/// member without children, and `".": {}` marking an element that is both a member and a parent.
enum FieldsV1 {
    static func encode(_ set: FieldSet) -> JSONValue {
        var object: [String: JSONValue] = [:]
        object.reserveCapacity(set.members.count + set.children.count)
        for member in set.members where set.children[member] == nil {
            object[member.encoded] = .object([:])
        }
        for (element, child) in set.children {
            var encoded = encode(child).objectValue ?? [:]
            if set.members.contains(element) { encoded["."] = .object([:]) }
            object[element.encoded] = .object(encoded)
        }
        return .object(object)
    }

    /// Decodes a `fieldsV1` object; nil when it is not one.
    static func decode(_ value: JSONValue) -> FieldSet? {
        guard case .object(let object) = value else { return nil }
        var set = FieldSet()
        for (key, child) in object where key != "." {
            guard let element = PathElement(encoded: key), case .object(let body) = child else { return nil }
            if body.isEmpty {
                set.members.insert(element)
                continue
            }
            if body["."] != nil { set.members.insert(element) }
            guard let decoded = decode(child) else { return nil }
            if !decoded.isEmpty { set.children[element] = decoded }
        }
        return set
    }
}
