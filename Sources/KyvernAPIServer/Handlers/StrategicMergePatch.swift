import KyvernAPI

/// Strategic merge patch (`application/strategic-merge-patch+json`) applied as upstream's API server
/// applies it, with the per-field patch metadata of the OpenAPI specification (`schemas.json`).
///
/// - Maps merge recursively; `null` deletes a key.
/// - A list whose field has `patchStrategy: merge` merges: lists of objects element by element on the
///   field's `patchMergeKey`, lists of primitives as a union. Every other list is replaced.
///   The merged list keeps the patch's order for the patched elements and the live order for the others.
/// - Directives: `$patch: replace` (a map, or a whole list when it is a list element), `$patch: delete`
///   (a map, or the list element with that merge key), `$retainKeys` (keep only the listed keys of the live
///   map), `$setElementOrder/<list>` (the final order of a merged list), `$deleteFromPrimitiveList/<list>`.
///   Any other key starting with `$` in a typed object is refused.
/// - A field the schema does not describe (free-form JSON such as `RawExtension`, or an unknown field)
///   merges with JSON merge patch semantics (RFC 7386).
///
/// No directive remains in the result: values taken from the patch as they are (new keys, replaced lists
/// and maps) have their directives carried out against nothing and removed, and their nulls dropped.
enum StrategicMergePatch {
    /// Applies `patch` to `original`, an instance of the schema definition `definition`.
    /// - Throws: `APIError` 400 BadRequest (422 for lists of lists) with upstream's messages.
    static func apply(patch: JSONValue, to original: JSONValue, definition: String, schemas: SchemaSet) throws -> JSONValue {
        let patchObject: [String: JSONValue]
        switch patch {
        case .object(let object): patchObject = object
        case .null: return original
        default:
            throw APIError.badRequest("json: cannot unmarshal \(patch.jsonTypeName) into Go value of type map[string]interface {}")
        }
        let merger = StrategicMerger(schemas: schemas)
        let root = merger.node(["ref": .string(definition)])
        if case .freeForm = root {
            return PatchApplier.mergePatch(original, patch)
        }
        return .object(try merger.mergeMap(original.objectValue ?? [:], patchObject, root))
    }
}

/// The directive keys and values of strategic merge patch.
enum SMPDirective {
    static let patch = "$patch"
    static let retainKeys = "$retainKeys"
    static let setElementOrder = "$setElementOrder"
    static let deleteFromPrimitiveList = "$deleteFromPrimitiveList"
    static let replace: JSONValue = "replace"
    static let delete: JSONValue = "delete"
    static let merge: JSONValue = "merge"
}

/// The shape of a value according to the schema.
enum SMPNode {
    /// A definition with properties; `name` is its Go type name, e.g. `PodSpec`.
    case structure(name: String, properties: [String: JSONValue])
    /// `map[string]T`: every key has the type `values`.
    case map(values: JSONValue?)
    case list(items: JSONValue?)
    /// Free-form JSON, or a field the schema does not know.
    case freeForm
    case scalar

    var isStructure: Bool {
        if case .structure = self { return true }
        return false
    }
}

/// The patch metadata of one field.
struct SMPField {
    var type: JSONValue?
    var patchStrategy: String
    var mergeKey: String

    init(type: JSONValue?) {
        self.type = type
        self.patchStrategy = type?["patchStrategy"]?.stringValue ?? ""
        self.mergeKey = type?["patchMergeKey"]?.stringValue ?? ""
    }

    /// The strategy besides `retainKeys` ("merge", "replace" or ""), as upstream's
    /// `extractRetainKeysPatchStrategy`.
    func strategy() throws -> String {
        let strategies = patchStrategy.isEmpty ? [] : patchStrategy.split(separator: ",").map(String.init)
        switch strategies.count {
        case 0:
            return ""
        case 1:
            return strategies[0] == "retainKeys" ? "" : strategies[0]
        case 2 where strategies[0] == "retainKeys":
            return strategies[1]
        case 2 where strategies[1] == "retainKeys":
            return strategies[0]
        default:
            throw APIError.badRequest("unexpected patch strategy: [\(strategies.joined(separator: " "))]")
        }
    }
}

struct StrategicMerger {
    let schemas: SchemaSet

    // MARK: schema

    func node(_ type: JSONValue?) -> SMPNode {
        guard var type else { return .freeForm }
        var name = ""
        if let ref = type["ref"]?.stringValue {
            guard let definition = schemas.definitions[ref] else { return .freeForm }
            type = definition
            name = String(ref.split(separator: ".").last ?? "")
        }
        if type["preserveUnknownFields"]?.boolValue == true { return .freeForm }
        switch type["type"]?.stringValue ?? "object" {
        case "object":
            guard let properties = type["properties"]?.objectValue else { return .freeForm }
            return .structure(name: name, properties: properties)
        case "map":
            return .map(values: type["values"])
        case "array":
            return .list(items: type["items"])
        default:
            return .scalar
        }
    }

    /// The metadata of `key` in a value of shape `node`; nil for a field the schema does not know.
    func field(_ key: String, of node: SMPNode) -> SMPField? {
        switch node {
        case .structure(_, let properties):
            return properties[key].map(SMPField.init(type:))
        case .map(let values):
            return SMPField(type: values)
        default:
            return nil
        }
    }

    private func fieldNotFound(_ key: String, in node: SMPNode) -> APIError {
        var name = ""
        if case .structure(let structName, _) = node { name = structName }
        return APIError.badRequest("unable to find api field in struct \(name) for the json field \"\(key)\"")
    }

    // MARK: maps

    /// upstream's `mergeMap`: merges `patch` into `original`.
    func mergeMap(_ original: [String: JSONValue], _ patch: [String: JSONValue], _ node: SMPNode) throws -> [String: JSONValue] {
        var patch = patch
        if let directive = patch[SMPDirective.patch] {
            if directive == SMPDirective.replace {
                patch[SMPDirective.patch] = nil
                return try normalizeObject(patch, node)
            }
            if directive == SMPDirective.delete {
                return [:]
            }
            throw SMPError.badPatchType(directive, patch)
        }
        var result = original
        try applyRetainKeys(&result, &patch)
        try mergeOrderedLists(&result, &patch, node)

        // Deletions from primitive lists last, so they see the lists' additions.
        let keys = patch.keys.sorted { a, b in
            let aDelete = a.hasPrefix(SMPDirective.deleteFromPrimitiveList)
            let bDelete = b.hasPrefix(SMPDirective.deleteFromPrimitiveList)
            return aDelete == bDelete ? a < b : !aDelete
        }
        for key in keys {
            guard let value = patch[key] else { continue }
            var name = key
            var isDeleteList = false
            if key.hasPrefix(SMPDirective.deleteFromPrimitiveList) {
                name = try SMPError.extractKey(key, prefix: SMPDirective.deleteFromPrimitiveList)
                isDeleteList = true
            } else if key.hasPrefix("$"), node.isStructure {
                throw SMPError.unknownDirective(key)
            }
            if value.isNull {
                result[name] = nil
                continue
            }
            let meta = field(name, of: node)
            guard let current = result[name], SMPFormat.sameGoType(current, value) else {
                if !isDeleteList {
                    result[name] = try normalize(value, type: meta?.type)
                }
                continue
            }
            switch (current, value) {
            case (.object(let currentObject), .object(let patchObject)):
                let child = self.node(meta?.type)
                switch child {
                case .structure, .map:
                    if try meta?.strategy() == "replace" {
                        result[name] = .object(try normalizeObject(patchObject, child))
                    } else {
                        result[name] = .object(try mergeMap(currentObject, patchObject, child))
                    }
                default:
                    result[name] = PatchApplier.mergePatch(current, value)
                }
            case (.array(let currentList), .array(let patchList)):
                if let meta, case .list = self.node(meta.type) {
                    result[name] = .array(try mergeListHandler(currentList, patchList, meta, isDeleteList: isDeleteList))
                } else {
                    result[name] = SMPFormat.discardNulls(value)
                }
            default:
                result[name] = value
            }
        }
        return result
    }

    /// `$retainKeys`: the live map keeps only the listed keys; the patch may hold no other keys.
    private func applyRetainKeys(_ original: inout [String: JSONValue], _ patch: inout [String: JSONValue]) throws {
        guard let directive = patch.removeValue(forKey: SMPDirective.retainKeys) else { return }
        guard case .array(let list) = directive else { throw SMPError.badPatchFormatForRetainKeys }
        let retained = Set(list.compactMap(\.stringValue))
        for (key, value) in patch where !value.isNull
            && !key.hasPrefix(SMPDirective.deleteFromPrimitiveList) && !key.hasPrefix(SMPDirective.setElementOrder) {
            guard retained.contains(key) else { throw SMPError.badPatchFormatForRetainKeys }
        }
        original = original.filter { retained.contains($0.key) }
    }

    /// `$setElementOrder/<list>`: merges the list (if patched) and sets its order; removes the
    /// directive and the list from `patch`.
    private func mergeOrderedLists(_ original: inout [String: JSONValue], _ patch: inout [String: JSONValue],
                                   _ node: SMPNode) throws {
        for key in patch.keys.sorted() where key.hasPrefix(SMPDirective.setElementOrder) {
            guard let directive = patch.removeValue(forKey: key) else { continue }
            guard case .array(let order) = directive else {
                throw SMPError.badArgType(expected: SMPFormat.goSlice, directive)
            }
            let name = try SMPError.extractKey(key, prefix: SMPDirective.setElementOrder)
            var originalList: [JSONValue]?
            var patchList: [JSONValue]?
            if let value = original[name] {
                guard case .array(let list) = value else { throw SMPError.badArgType(expected: SMPFormat.goSlice, value) }
                originalList = list
            }
            if let value = patch[name] {
                guard case .array(let list) = value else { throw SMPError.badArgType(expected: SMPFormat.goSlice, value) }
                patchList = list
            }
            guard let meta = field(name, of: node) else { throw fieldNotFound(name, in: node) }
            _ = try meta.strategy()
            try SMPOrder.validatePatch(patchList ?? [], against: order, mergeKey: meta.mergeKey)

            let merged: [JSONValue]
            switch (originalList, patchList) {
            case (let live?, nil):
                merged = live
            case (nil, let patched?):
                merged = try normalizeElements(patched, listType: meta.type)
            case (let live?, let patched?):
                merged = try mergeListHandler(live, patched, meta, isDeleteList: false)
            case (nil, nil):
                continue
            }
            patch[name] = nil
            original[name] = .array(try SMPOrder.apply(order: order, to: merged, live: originalList ?? [],
                                                       patched: patchList ?? [], mergeKey: meta.mergeKey))
        }
    }

    // MARK: lists

    /// upstream's `mergeSliceHandler`: merge strategy merges, anything else replaces.
    private func mergeListHandler(_ original: [JSONValue], _ patch: [JSONValue], _ meta: SMPField,
                                  isDeleteList: Bool) throws -> [JSONValue] {
        if try meta.strategy() == "merge" {
            return try mergeList(original, patch, items: meta.type?["items"], mergeKey: meta.mergeKey, isDeleteList: isDeleteList)
        }
        return try normalizeElements(patch, listType: meta.type)
    }

    /// upstream's `mergeSlice`.
    private func mergeList(_ original: [JSONValue], _ patch: [JSONValue], items: JSONValue?, mergeKey: String,
                           isDeleteList: Bool) throws -> [JSONValue] {
        if original.isEmpty && patch.isEmpty { return original }
        let kind = try SMPOrder.elementKind(original, patch)
        var original = original
        var patch = patch
        let merged: [JSONValue]
        if kind != .object {
            if isDeleteList { return SMPOrder.delete(patch, from: original) }
            merged = SMPOrder.deduplicateScalars(original + patch)
        } else {
            guard !mergeKey.isEmpty else {
                throw APIError.badRequest("cannot merge lists without merge key for struct")
            }
            (original, patch) = try mergeSpecialElements(original, patch, items: items, mergeKey: mergeKey)
            merged = try mergeElements(original, patch, items: items, mergeKey: mergeKey)
        }
        let isMap = kind == .object
        let (patchItems, serverOnly) = isMap && !mergeKey.isEmpty
            ? try SMPOrder.partitionMaps(merged, by: patch, mergeKey: mergeKey)
            : SMPOrder.partitionPrimitives(merged, by: patch)
        return try SMPOrder.normalizeElementOrder(patchItems, serverOnly, patchOrder: patch, serverOrder: original,
                                                   mergeKey: mergeKey, isMap: isMap)
    }

    /// upstream's `mergeSliceWithSpecialElements`: carries out `$patch: delete` elements on the live list;
    /// with a `$patch: replace` element the patch's other elements become the list.
    private func mergeSpecialElements(_ original: [JSONValue], _ patch: [JSONValue], items: JSONValue?,
                                      mergeKey: String) throws -> ([JSONValue], [JSONValue]) {
        var original = original
        var plain: [JSONValue] = []
        var replace = false
        for element in patch {
            let object = element.objectValue ?? [:]
            guard let directive = object[SMPDirective.patch] else {
                plain.append(element)
                continue
            }
            switch directive {
            case SMPDirective.delete:
                guard let value = object[mergeKey] else { throw SMPError.noMergeKey(object, mergeKey) }
                while let index = try SMPOrder.findMap(in: original, mergeKey: mergeKey, value: value) {
                    original.remove(at: index)
                }
            case SMPDirective.replace:
                replace = true
            case SMPDirective.merge:
                throw APIError.badRequest("merging lists cannot yet be specified in the patch")
            default:
                throw SMPError.badPatchType(directive, object)
            }
        }
        if replace {
            return (try plain.map { try normalize($0, type: items) }, [])
        }
        return (original, plain)
    }

    /// upstream's `mergeSliceWithoutSpecialElements`: each patch element merges into the live element
    /// with its merge key, or is appended.
    private func mergeElements(_ original: [JSONValue], _ patch: [JSONValue], items: JSONValue?,
                               mergeKey: String) throws -> [JSONValue] {
        var original = original
        let itemNode = node(items)
        for element in patch {
            let object = element.objectValue ?? [:]
            guard let value = object[mergeKey] else { throw SMPError.noMergeKey(object, mergeKey) }
            if let index = try SMPOrder.findMap(in: original, mergeKey: mergeKey, value: value) {
                original[index] = .object(try mergeMap(original[index].objectValue ?? [:], object, itemNode))
            } else {
                original.append(try normalize(element, type: items))
            }
        }
        return original
    }

    // MARK: values taken from the patch

    /// A patch value taken as it is: directives carried out against nothing and removed, nulls dropped.
    func normalize(_ value: JSONValue, type: JSONValue?) throws -> JSONValue {
        let shape = node(type)
        switch shape {
        case .structure, .map:
            guard case .object(let object) = value else { return value }
            return .object(try normalizeObject(object, shape))
        case .list:
            guard case .array(let elements) = value else { return value }
            return .array(try normalizeElements(elements, listType: type))
        case .freeForm, .scalar:
            return SMPFormat.discardNulls(value)
        }
    }

    func normalizeObject(_ object: [String: JSONValue], _ node: SMPNode) throws -> [String: JSONValue] {
        var object = object
        if let directive = object.removeValue(forKey: SMPDirective.patch) {
            if directive == SMPDirective.delete { return [:] }
            guard directive == SMPDirective.replace else {
                object[SMPDirective.patch] = directive
                throw SMPError.badPatchType(directive, object)
            }
        }
        if let retained = object.removeValue(forKey: SMPDirective.retainKeys) {
            guard case .array = retained else { throw SMPError.badPatchFormatForRetainKeys }
        }
        var orders: [(name: String, order: [JSONValue])] = []
        var result: [String: JSONValue] = [:]
        result.reserveCapacity(object.count)
        for (key, value) in object {
            if key.hasPrefix(SMPDirective.setElementOrder) {
                let name = try SMPError.extractKey(key, prefix: SMPDirective.setElementOrder)
                guard case .array(let order) = value else { throw SMPError.badArgType(expected: SMPFormat.goSlice, value) }
                orders.append((name, order))
                continue
            }
            if key.hasPrefix(SMPDirective.deleteFromPrimitiveList) {
                _ = try SMPError.extractKey(key, prefix: SMPDirective.deleteFromPrimitiveList)
                continue
            }
            if key.hasPrefix("$"), node.isStructure {
                throw SMPError.unknownDirective(key)
            }
            if value.isNull { continue }
            result[key] = try normalize(value, type: field(key, of: node)?.type)
        }
        for (name, order) in orders.sorted(by: { $0.name < $1.name }) {
            guard let meta = field(name, of: node) else { throw fieldNotFound(name, in: node) }
            guard case .array(let list) = result[name] else { continue }
            try SMPOrder.validatePatch(list, against: order, mergeKey: meta.mergeKey)
            result[name] = .array(try SMPOrder.apply(order: order, to: list, live: [], patched: list, mergeKey: meta.mergeKey))
        }
        return result
    }

    /// The elements of a list taken from the patch: `$patch: delete` elements and bare `$patch: replace`
    /// markers are dropped.
    func normalizeElements(_ elements: [JSONValue], listType: JSONValue?) throws -> [JSONValue] {
        let items = listType?["items"]
        var result: [JSONValue] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            if case .object(let object) = element, let directive = object[SMPDirective.patch] {
                switch directive {
                case SMPDirective.delete:
                    continue
                case SMPDirective.replace where object.count == 1:
                    continue
                case SMPDirective.replace:
                    break
                case SMPDirective.merge:
                    throw APIError.badRequest("merging lists cannot yet be specified in the patch")
                default:
                    throw SMPError.badPatchType(directive, object)
                }
            }
            result.append(try normalize(element, type: items))
        }
        return result
    }
}
