import KyvernAPI

/// The order of merged lists, as upstream's strategic merge patch sets it: the elements named by the
/// patch (or by `$setElementOrder`) in that order, the live-only elements in their live order, the two
/// interleaved so that a live-only element stays before a patched one it preceded in the live list.
enum SMPOrder {
    /// The JSON kind of the elements of lists (nil when there are none).
    /// - Throws: for lists of lists (422) and for lists mixing kinds.
    static func elementKind(_ lists: [JSONValue]...) throws -> SMPFormat.Kind? {
        var kind: SMPFormat.Kind?
        for list in lists {
            for element in list {
                let current = SMPFormat.Kind(element)
                if let kind {
                    guard kind == current else {
                        throw APIError.badRequest("list element types are not identical: \(SMPFormat.go(.array(lists.map(JSONValue.array))))")
                    }
                } else {
                    if current == .array { throw SMPError.noListOfLists }
                    kind = current
                }
            }
        }
        return kind
    }

    /// The key that identifies an element: its merge key's value for objects, the element itself otherwise.
    static func identity(_ element: JSONValue, mergeKey: String, isMap: Bool) -> JSONValue {
        if isMap && !mergeKey.isEmpty {
            guard case .object(let object) = element else { return .null }
            return SMPFormat.canonical(object[mergeKey] ?? .null)
        }
        return SMPFormat.canonical(element)
    }

    /// The first position of each identity in `list`.
    static func positions(_ list: [JSONValue], mergeKey: String, isMap: Bool) -> [JSONValue: Int] {
        var positions: [JSONValue: Int] = [:]
        for (index, element) in list.enumerated() {
            let key = identity(element, mergeKey: mergeKey, isMap: isMap)
            if positions[key] == nil { positions[key] = index }
        }
        return positions
    }

    /// The index of the object in `list` whose `mergeKey` equals `value`.
    static func findMap(in list: [JSONValue], mergeKey: String, value: JSONValue) throws -> Int? {
        let wanted = SMPFormat.canonical(value)
        for (index, element) in list.enumerated() {
            guard case .object(let object) = element else {
                throw APIError.badRequest("value for key \(index) is not a map")
            }
            if let candidate = object[mergeKey], SMPFormat.canonical(candidate) == wanted {
                return index
            }
        }
        return nil
    }

    /// Splits `merged` into the objects whose merge key appears in `list` and the others.
    static func partitionMaps(_ merged: [JSONValue], by list: [JSONValue], mergeKey: String) throws -> ([JSONValue], [JSONValue]) {
        var inList: [JSONValue] = []
        var others: [JSONValue] = []
        for element in merged {
            guard case .object(let object) = element else {
                throw SMPError.badArgType(expected: SMPFormat.goMap, element)
            }
            guard let value = object[mergeKey] else { throw SMPError.noMergeKey(object, mergeKey) }
            if try findMap(in: list, mergeKey: mergeKey, value: value) != nil {
                inList.append(element)
            } else {
                others.append(element)
            }
        }
        return (inList, others)
    }

    /// Splits `merged` into the values present in `list` and the others.
    static func partitionPrimitives(_ merged: [JSONValue], by list: [JSONValue]) -> ([JSONValue], [JSONValue]) {
        let present = Set(list.map(SMPFormat.canonical))
        var inList: [JSONValue] = []
        var others: [JSONValue] = []
        for element in merged {
            if present.contains(SMPFormat.canonical(element)) {
                inList.append(element)
            } else {
                others.append(element)
            }
        }
        return (inList, others)
    }

    /// upstream's `deleteFromSlice`.
    static func delete(_ values: [JSONValue], from list: [JSONValue]) -> [JSONValue] {
        let deleted = Set(values.map(SMPFormat.canonical))
        return list.filter { !deleted.contains(SMPFormat.canonical($0)) }
    }

    /// upstream's `deduplicateScalars`, which moves the last element into each duplicate's place.
    static func deduplicateScalars(_ values: [JSONValue]) -> [JSONValue] {
        var values = values
        var length = values.count - 1
        var i = 0
        while i < length {
            var j = i + 1
            while j <= length {
                if SMPFormat.canonical(values[i]) == SMPFormat.canonical(values[j]) {
                    values[j] = values[length]
                    values.removeLast()
                    length -= 1
                    j -= 1
                }
                j += 1
            }
            i += 1
        }
        return values
    }

    /// Every element of the lists is an object holding the merge key.
    static func validateMergeKey(_ mergeKey: String, in lists: [JSONValue]...) throws {
        for list in lists {
            for element in list {
                guard case .object(let object) = element else {
                    throw SMPError.badArgType(expected: SMPFormat.goMap, element)
                }
                guard object[mergeKey] != nil else { throw SMPError.noMergeKey(object, mergeKey) }
            }
        }
    }

    /// Splits off the `$patch: delete` elements.
    static func extractToDelete(_ list: [JSONValue]) throws -> ([JSONValue], [JSONValue]) {
        var kept: [JSONValue] = []
        var deleted: [JSONValue] = []
        for element in list {
            guard case .object(let object) = element else {
                throw SMPError.badArgType(expected: SMPFormat.goMap, element)
            }
            if object[SMPDirective.patch] == SMPDirective.delete {
                deleted.append(element)
            } else {
                kept.append(element)
            }
        }
        return (kept, deleted)
    }

    /// The patch list must name its elements in the relative order of `$setElementOrder`, and only
    /// elements that `$setElementOrder` names.
    static func validatePatch(_ patch: [JSONValue], against order: [JSONValue], mergeKey: String) throws {
        if order.isEmpty || patch.isEmpty { return }
        let elements = mergeKey.isEmpty ? patch : try extractToDelete(patch).0
        var patchIndex = 0
        var orderIndex = 0
        while patchIndex < elements.count && orderIndex < order.count {
            if elements[patchIndex].objectValue?[SMPDirective.patch] != nil {
                patchIndex += 1
                continue
            }
            if try mergeKeyValueEqual(elements[patchIndex], order[orderIndex], mergeKey: mergeKey) {
                patchIndex += 1
            }
            orderIndex += 1
        }
        if patchIndex < elements.count && orderIndex >= order.count {
            throw APIError.badRequest("The order in patch list:\n\(SMPFormat.go(.array(patch)))\n doesn't match \(SMPDirective.setElementOrder) list:\n\(SMPFormat.go(.array(order)))\n")
        }
    }

    private static func mergeKeyValueEqual(_ left: JSONValue, _ right: JSONValue, mergeKey: String) throws -> Bool {
        if mergeKey.isEmpty { return SMPFormat.canonical(left) == SMPFormat.canonical(right) }
        guard case .object(let leftObject) = left else { throw SMPError.badArgType(expected: SMPFormat.goMap, left) }
        guard case .object(let rightObject) = right else { throw SMPError.badArgType(expected: SMPFormat.goMap, right) }
        guard let leftValue = leftObject[mergeKey] else { throw SMPError.noMergeKey(leftObject, mergeKey) }
        guard let rightValue = rightObject[mergeKey] else { throw SMPError.noMergeKey(rightObject, mergeKey) }
        return SMPFormat.canonical(leftValue) == SMPFormat.canonical(rightValue)
    }

    /// Orders `merged` by `$setElementOrder`: the elements it names in its order, the others placed by
    /// their order in the live list.
    static func apply(order: [JSONValue], to merged: [JSONValue], live: [JSONValue], patched: [JSONValue],
                      mergeKey: String) throws -> [JSONValue] {
        let (named, others) = mergeKey.isEmpty
            ? partitionPrimitives(merged, by: order)
            : try partitionMaps(merged, by: order, mergeKey: mergeKey)
        guard let kind = try elementKind(live, patched) else { return merged }
        return try normalizeElementOrder(named, others, patchOrder: order, serverOrder: live,
                                         mergeKey: mergeKey, isMap: kind == .object)
    }

    /// Sorts the patched elements by `patchOrder` and the live-only ones by `serverOrder`, then
    /// interleaves them.
    static func normalizeElementOrder(_ patchItems: [JSONValue], _ serverOnly: [JSONValue], patchOrder: [JSONValue],
                                      serverOrder: [JSONValue], mergeKey: String, isMap: Bool) throws -> [JSONValue] {
        let patchSorted = try sort(patchItems, by: patchOrder, mergeKey: mergeKey, isMap: isMap)
        let serverSorted = try sort(serverOnly, by: serverOrder, mergeKey: mergeKey, isMap: isMap)
        return interleave(serverSorted, patchSorted, serverOrder: serverOrder, mergeKey: mergeKey, isMap: isMap)
    }

    /// upstream's `normalizeSliceOrder`: a stable sort by position in `order` (elements missing from it
    /// move forward, as upstream's comparison does), `$patch: delete` elements last.
    static func sort(_ list: [JSONValue], by order: [JSONValue], mergeKey: String, isMap: Bool) throws -> [JSONValue] {
        var list = list
        var deleted: [JSONValue] = []
        if isMap {
            try validateMergeKey(mergeKey, in: list, order)
            (list, deleted) = try extractToDelete(list)
        }
        let index = positions(order, mergeKey: mergeKey, isMap: isMap)
        var keyed = list.map { ($0, index[identity($0, mergeKey: mergeKey, isMap: isMap)] ?? -1) }
        if keyed.allSatisfy({ $0.1 >= 0 }) {
            keyed = keyed.enumerated()
                .sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }
                .map(\.element)
        } else {
            // The comparison "both found and before, or either missing" is not an order; insertion
            // sort gives upstream's result for lists of up to 20 elements.
            func less(_ a: (JSONValue, Int), _ b: (JSONValue, Int)) -> Bool {
                a.1 >= 0 && b.1 >= 0 ? a.1 < b.1 : true
            }
            if keyed.count > 1 {
                for i in 1..<keyed.count {
                    var j = i
                    while j > 0 && less(keyed[j], keyed[j - 1]) {
                        keyed.swapAt(j, j - 1)
                        j -= 1
                    }
                }
            }
        }
        return keyed.map(\.0) + deleted
    }

    /// upstream's `mergeSortedSlice`: takes from `right` (the patched elements) unless the next
    /// element of `left` (the live-only ones) preceded it in the live list.
    static func interleave(_ left: [JSONValue], _ right: [JSONValue], serverOrder: [JSONValue],
                           mergeKey: String, isMap: Bool) -> [JSONValue] {
        let index = positions(serverOrder, mergeKey: mergeKey, isMap: isMap)
        func position(_ element: JSONValue) -> Int? { index[identity(element, mergeKey: mergeKey, isMap: isMap)] }
        var result: [JSONValue] = []
        result.reserveCapacity(left.count + right.count)
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if i >= left.count {
                result.append(right[j]); j += 1
            } else if j >= right.count {
                result.append(left[i]); i += 1
            } else if let l = position(left[i]), let r = position(right[j]), l < r {
                result.append(left[i]); i += 1
            } else {
                result.append(right[j]); j += 1
            }
        }
        return result
    }
}
