import KyvernAPI

/// Removes from a merged object the fields a manager applied last time and no longer applies, unless
/// another manager (or the new configuration) still owns them — upstream's `prune` with its
/// "add back owned items" step.
struct ApplyPrune {
    let shapes: TypeShapes

    /// - Parameters:
    ///   - last: the fields the manager applied before, rooted at `value`.
    ///   - owned: the union of every manager's fields after this apply, rooted at `value`.
    func prune(_ value: JSONValue, _ shape: TypeShape, last: FieldSet, owned: FieldSet?) -> JSONValue {
        switch (shape, value) {
        case (.structure, .object(var object)), (.map, .object(var object)), (.deduced, .object(var object)):
            for (key, child) in object {
                let element = PathElement.field(key)
                guard last.touches(element) else { continue }
                guard owned?.touches(element) == true else {
                    object[key] = nil
                    continue
                }
                if let lastChild = last.children[element] {
                    let childShape = shapes.child(key, of: shape).map { shapes.shape($0) } ?? .deduced
                    object[key] = prune(child, childShape, last: lastChild, owned: owned?.children[element])
                }
            }
            return .object(object)
        case (.list(let items, let kind), .array(let array)):
            let itemShape = shapes.shape(items)
            var out: [JSONValue] = []
            for (index, item) in array.enumerated() {
                let element = TypeShapes.element(of: item, kind: kind) ?? .index(index)
                guard last.touches(element) else { out.append(item); continue }
                guard owned?.touches(element) == true else { continue }
                if let lastChild = last.children[element] {
                    out.append(prune(item, itemShape, last: lastChild, owned: owned?.children[element]))
                } else {
                    out.append(item)
                }
            }
            return .array(out)
        default:
            return value
        }
    }
}
