import KyvernAPI
import Synchronization

/// What changed between two versions of an object (upstream's `typed.Comparison`): every path only
/// the new version has (struct fields, map entries and list items included, not just leaves), every
/// path only the old one has, and the leaves (scalars and atomic values) both have with different values.
struct ObjectComparison {
    var added = FieldSet()
    var removed = FieldSet()
    var modified = FieldSet()

    var changed: FieldSet { added.union(modified) }

    /// - Parameter old: the previous object; nil on create, compared as the kind's zero value.
    init(old: JSONValue?, new: JSONValue, type: JSONValue?, shapes: TypeShapes) {
        let walker = Walker(shapes: shapes)
        let zero = ZeroObject(shapes: shapes)
        let before = old.map { zero.normalized($0, type: type) } ?? zero.value(of: type)
        walker.compare(before, zero.normalized(new, type: type), shapes.shape(type), path: [], into: &self)
    }

    private struct Walker {
        let shapes: TypeShapes

        func compare(_ lhs: JSONValue?, _ rhs: JSONValue?, _ shape: TypeShape, path: FieldPath,
                     into result: inout ObjectComparison) {
            if isLeaf(shape, lhs, rhs) {
                if lhs == nil {
                    result.added.insert(path)
                } else if rhs == nil {
                    result.removed.insert(path)
                } else if lhs != rhs {
                    result.modified.insert(path)
                }
                return
            }
            switch shape {
            case .list(let items, let kind):
                let itemShape = shapes.shape(items)
                let (left, leftOrder) = index(lhs?.arrayValue ?? [], kind)
                let (right, rightOrder) = index(rhs?.arrayValue ?? [], kind)
                for element in rightOrder {
                    compare(left[element], right[element], itemShape, path: path + [element], into: &result)
                }
                for element in leftOrder where right[element] == nil {
                    compare(left[element], nil, itemShape, path: path + [element], into: &result)
                }
            default:
                let left = lhs?.objectValue ?? [:]
                let right = rhs?.objectValue ?? [:]
                for (key, value) in right {
                    let childShape = shapes.child(key, of: shape).map { shapes.shape($0) } ?? .deduced
                    compare(left[key], value, childShape, path: path + [.field(key)], into: &result)
                }
                for (key, value) in left where right[key] == nil {
                    let childShape = shapes.child(key, of: shape).map { shapes.shape($0) } ?? .deduced
                    compare(value, nil, childShape, path: path + [.field(key)], into: &result)
                }
            }
            if !path.isEmpty {
                if lhs == nil {
                    result.added.insert(path)
                } else if rhs == nil {
                    result.removed.insert(path)
                }
            }
        }

        private func index(_ items: [JSONValue], _ kind: TypeShape.ListKind) -> ([PathElement: JSONValue], [PathElement]) {
            var byElement: [PathElement: JSONValue] = [:]
            var order: [PathElement] = []
            for (position, item) in items.enumerated() {
                let element = TypeShapes.element(of: item, kind: kind) ?? .index(position)
                if byElement[element] == nil { order.append(element) }
                byElement[element] = item
            }
            return (byElement, order)
        }

        /// Whether the value is compared whole: scalars, atomic values, and deduced non-objects.
        private func isLeaf(_ shape: TypeShape, _ lhs: JSONValue?, _ rhs: JSONValue?) -> Bool {
            switch shape {
            case .atomic, .scalar: return true
            case .deduced:
                return !((lhs?.objectValue != nil || lhs == nil || lhs == .null) && (rhs?.objectValue != nil || rhs == nil || rhs == .null))
            case .list:
                return !(isContainer(lhs, array: true) && isContainer(rhs, array: true))
            case .structure, .map:
                return !(isContainer(lhs, array: false) && isContainer(rhs, array: false))
            }
        }

        private func isContainer(_ value: JSONValue?, array: Bool) -> Bool {
            switch value {
            case nil, .null?: return true
            case .array?: return array
            case .object?: return !array
            default: return false
            }
        }
    }
}

/// The zero value of a kind as upstream serializes it before a create: fields that are always
/// written (required ones as `null`, embedded structs as their own zero value) are present, so a
/// create does not mark them as newly added (no `.` for them in FieldsV1).
struct ZeroObject {
    let shapes: TypeShapes

    /// Struct-valued fields the API types embed by value (never omitted when serialized).
    private static let embedded: Set<String> = [
        "metadata", "spec", "status", "template", "strategy", "updateStrategy", "jobTemplate", "loadBalancer",
        "daemonEndpoints", "kubeletEndpoint", "nodeInfo", "source", "involvedObject", "scaleTargetRef", "resources",
        "conditions", "podAffinityTerm", "preference", "port",
    ]

    func value(of type: JSONValue?) -> JSONValue {
        guard case .structure(let properties) = shapes.shape(type) else { return .object([:]) }
        let required = Set(definition(type)?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var object: [String: JSONValue] = [:]
        for (name, child) in properties {
            if Self.embedded.contains(name) || required.contains(name), case .structure = shapes.shape(child) {
                object[name] = value(of: child)
            } else if required.contains(name) {
                object[name] = .null
            }
        }
        return .object(object)
    }

    /// `value` with the always-written fields it lacks filled in, as upstream sees a stored or sent
    /// object once decoded into its Go type.
    func normalized(_ input: JSONValue, type: JSONValue?) -> JSONValue {
        switch (shapes.shape(type), input) {
        case (.structure(let properties), .object(var object)):
            // Only the fields present are walked (a pod spec names a handful of its ~40 fields);
            // the missing always-written ones come from the type's plan, computed once per type.
            for (name, present) in object where present != .null {
                if let child = properties[name] { object[name] = normalized(present, type: child) }
            }
            for fill in plan(type, properties).fills where object[fill.name] == nil {
                object[fill.name] = fill.value
            }
            return .object(object)
        case (.list(let items, _), .array(let array)):
            return .array(array.map { normalized($0, type: items) })
        case (.map(let values), .object(let object)):
            guard case .structure = shapes.shape(values) else { return input }
            return .object(object.mapValues { normalized($0, type: values) })
        default:
            return input
        }
    }

    /// What a struct type fills in when absent: embedded or required structs as their zero
    /// value, other required fields as `null`.
    struct Plan: Sendable {
        var fills: [(name: String, value: JSONValue)]
    }

    private func plan(_ type: JSONValue?, _ properties: [String: JSONValue]) -> Plan {
        guard let ref = type?["ref"]?.stringValue else { return makePlan(type, properties) }
        if let cached = shapes.schemas.zeroPlans.withLock({ $0[ref] }) { return cached }
        let made = makePlan(type, properties)
        shapes.schemas.zeroPlans.withLock { $0[ref] = made }
        return made
    }

    private func makePlan(_ type: JSONValue?, _ properties: [String: JSONValue]) -> Plan {
        let required = Set(definition(type)?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        var fills: [(name: String, value: JSONValue)] = []
        for (name, child) in properties.sorted(by: { $0.key < $1.key }) {
            if Self.embedded.contains(name) || required.contains(name), case .structure = shapes.shape(child) {
                fills.append((name, value(of: child)))
            } else if required.contains(name) {
                fills.append((name, .null))
            }
        }
        return Plan(fills: fills)
    }

    private func definition(_ type: JSONValue?) -> JSONValue? {
        guard let ref = type?["ref"]?.stringValue else { return type }
        return shapes.schemas.definitions[ref]
    }
}
