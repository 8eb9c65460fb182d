import KyvernAPI

/// The set of fields a value sets, as upstream's `ToFieldSet`: every scalar and atomic value, every
/// list item, every map entry (not struct fields that have children), and empty or null values.
struct FieldSetExtraction {
    let shapes: TypeShapes

    func fieldSet(of value: JSONValue, type: JSONValue?) -> FieldSet {
        var set = FieldSet()
        walk(value, shapes.shape(type), into: &set)
        return set
    }

    /// Adds the fields of `value` (of shape `shape`) to `set`, a set rooted at the value itself.
    func walk(_ value: JSONValue, _ shape: TypeShape, into set: inout FieldSet) {
        switch (shape, value) {
        case (.list(let items, let kind), .array(let array)):
            let itemShape = shapes.shape(items)
            for (index, item) in array.enumerated() {
                let element = TypeShapes.element(of: item, kind: kind) ?? .index(index)
                set.members.insert(element)
                var child = set.children[element] ?? FieldSet()
                walk(item, itemShape, into: &child)
                if !child.isEmpty { set.children[element] = child }
            }
        case (.structure, .object(let object)), (.map, .object(let object)), (.deduced, .object(let object)):
            let isStruct: Bool
            if case .structure = shape { isStruct = true } else { isStruct = false }
            for (key, child) in object {
                let element = PathElement.field(key)
                let childType = shapes.child(key, of: shape)
                let childShape: TypeShape = isStruct && childType == nil ? .deduced : (childType.map { shapes.shape($0) } ?? .deduced)
                var childSet = FieldSet()
                switch childShape {
                case .atomic, .scalar:
                    set.members.insert(element)
                    continue
                case .deduced where child.objectValue == nil:
                    set.members.insert(element)
                    continue
                case .list where child.arrayValue == nil:
                    set.members.insert(element)
                    continue
                default:
                    walk(child, childShape, into: &childSet)
                }
                if !childSet.isEmpty { set.children[element] = childSet }
                let isEmptyObject = child.objectValue?.isEmpty == true
                if child.isNull || isEmptyObject || !isStruct || properties(shape)?[key] == nil {
                    set.members.insert(element)
                }
            }
        default:
            break
        }
    }

    private func properties(_ shape: TypeShape) -> [String: JSONValue]? {
        if case .structure(let properties) = shape { return properties }
        return nil
    }
}
