import KyvernAPI

/// Merges an applied configuration into the live object, as upstream's `TypedValue.Merge`: granular
/// structs and maps field by field, list maps and sets item by item (keeping the applied order for
/// the items it names and placing the others around them), everything atomic replaced by the config.
struct ApplyMerge {
    let shapes: TypeShapes

    func merge(_ live: JSONValue?, _ config: JSONValue, _ shape: TypeShape) -> JSONValue {
        guard let live else { return config }
        switch (shape, live, config) {
        case (.structure, .object(let liveObject), .object(let configObject)),
             (.map, .object(let liveObject), .object(let configObject)),
             (.deduced, .object(let liveObject), .object(let configObject)):
            var result = liveObject
            for (key, value) in configObject {
                if value.isNull {
                    result[key] = nil
                    continue
                }
                let childShape = shapes.child(key, of: shape).map { shapes.shape($0) } ?? .deduced
                result[key] = merge(liveObject[key], value, childShape)
            }
            return .object(result)
        case (.list(let items, let kind), .array(let liveItems), .array(let configItems)):
            return .array(mergeList(liveItems, configItems, kind: kind, itemShape: shapes.shape(items)))
        default:
            return config
        }
    }

    /// upstream's list merge: walks both lists, emitting shared items in the config's order and
    /// live-only items where they stood relative to them.
    private func mergeList(_ live: [JSONValue], _ config: [JSONValue], kind: TypeShape.ListKind,
                           itemShape: TypeShape) -> [JSONValue] {
        let livePEs = live.enumerated().map { TypeShapes.element(of: $1, kind: kind) ?? .index($0) }
        let configPEs = config.enumerated().map { TypeShapes.element(of: $1, kind: kind) ?? .index($0) }
        var liveByPE: [PathElement: JSONValue] = [:]
        for (pe, item) in zip(livePEs, live) where liveByPE[pe] == nil { liveByPE[pe] = item }
        var configByPE: [PathElement: JSONValue] = [:]
        for (pe, item) in zip(configPEs, config) where configByPE[pe] == nil { configByPE[pe] = item }

        var sharedOrder = configPEs.filter { liveByPE[$0] != nil }[...]
        var nextShared = sharedOrder.popFirst()
        var merged: Set<PathElement> = []
        var out: [JSONValue] = []
        var l = 0, r = 0
        func item(_ pe: PathElement) -> JSONValue {
            merge(liveByPE[pe], configByPE[pe]!, itemShape)
        }
        while l < livePEs.count || r < configPEs.count {
            if l < livePEs.count && r < configPEs.count {
                let pe = livePEs[l]
                if pe == configPEs[r] {
                    merged.insert(pe)
                    out.append(item(pe))
                    l += 1; r += 1
                    nextShared = sharedOrder.popFirst()
                    continue
                }
                if configByPE[pe] != nil, let shared = nextShared, shared != pe {
                    l += 1
                    continue
                }
            }
            if l < livePEs.count {
                let pe = livePEs[l]
                if configByPE[pe] == nil {
                    out.append(live[l])
                    l += 1
                    continue
                } else if merged.contains(pe) {
                    l += 1
                    continue
                }
            }
            if r < configPEs.count {
                let pe = configPEs[r]
                if !merged.contains(pe) {
                    merged.insert(pe)
                    out.append(item(pe))
                }
                r += 1
                if let shared = nextShared, shared == pe { nextShared = sharedOrder.popFirst() }
            }
        }
        return out
    }
}
