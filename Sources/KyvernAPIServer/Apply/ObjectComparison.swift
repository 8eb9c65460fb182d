import KyvernAPI

/// What changed between two versions of an object, as field sets (upstream's `typed.Comparison`):
/// fields only the new one sets, fields only the old one sets, and fields both set to different values.
struct ObjectComparison {
    var added = FieldSet()
    var removed = FieldSet()
    var modified = FieldSet()

    var changed: FieldSet { added.union(modified) }

    init(old: JSONValue?, new: JSONValue, type: JSONValue?, shapes: TypeShapes) {
        let extraction = FieldSetExtraction(shapes: shapes)
        let newSet = extraction.fieldSet(of: new, type: type)
        guard let old else {
            added = newSet
            return
        }
        let oldSet = extraction.fieldSet(of: old, type: type)
        added = newSet.subtracting(oldSet)
        removed = oldSet.subtracting(newSet)
        Self.modifiedWalk(old, new, shapes.shape(type), shapes, into: &modified)
    }

    /// Collects the leaves both values set to different values.
    private static func modifiedWalk(_ old: JSONValue, _ new: JSONValue, _ shape: TypeShape, _ shapes: TypeShapes,
                                     into set: inout FieldSet) {
        switch (shape, old, new) {
        case (.list(let items, let kind), .array(let oldItems), .array(let newItems)):
            let itemShape = shapes.shape(items)
            var oldByElement: [PathElement: JSONValue] = [:]
            for (index, item) in oldItems.enumerated() {
                oldByElement[TypeShapes.element(of: item, kind: kind) ?? .index(index)] = item
            }
            for (index, item) in newItems.enumerated() {
                let element = TypeShapes.element(of: item, kind: kind) ?? .index(index)
                guard let before = oldByElement[element], before != item else { continue }
                if case .set = kind { continue }
                var child = set.children[element] ?? FieldSet()
                modifiedWalk(before, item, itemShape, shapes, into: &child)
                if !child.isEmpty { set.children[element] = child }
            }
        case (.structure, .object(let oldObject), .object(let newObject)),
             (.map, .object(let oldObject), .object(let newObject)),
             (.deduced, .object(let oldObject), .object(let newObject)):
            for (key, value) in newObject {
                guard let before = oldObject[key], before != value else { continue }
                let element = PathElement.field(key)
                let childShape = shapes.child(key, of: shape).map { shapes.shape($0) } ?? .deduced
                if isLeaf(childShape, before) || isLeaf(childShape, value) {
                    set.members.insert(element)
                    continue
                }
                var child = set.children[element] ?? FieldSet()
                modifiedWalk(before, value, childShape, shapes, into: &child)
                if !child.isEmpty { set.children[element] = child }
            }
        default:
            break
        }
    }

    private static func isLeaf(_ shape: TypeShape, _ value: JSONValue) -> Bool {
        switch shape {
        case .atomic, .scalar: return true
        case .deduced: return value.objectValue == nil
        case .list: return value.arrayValue == nil
        case .structure, .map: return value.objectValue == nil
        }
    }
}
