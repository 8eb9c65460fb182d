import KyvernAPI

/// The writes that bring an Endpoints object's mirrored slices up to date, computed without I/O
/// (upstream's mirroring `reconcileByPortMapping` and `finalize`).
///
/// One slice per group of ports: the first existing slice of a group (by name) is rewritten only
/// when it differs, its extra slices and the slices of groups no longer wanted are deleted, and
/// creates become updates of slices that would be deleted. Nothing is written when nothing differs.
struct MirrorPlan: Sendable {
    var creates: [JSONValue] = []
    var updates: [JSONValue] = []
    var deletes: [JSONValue] = []

    var isEmpty: Bool { creates.isEmpty && updates.isEmpty && deletes.isEmpty }

    /// `existing`: the slices this controller mirrored for the Endpoints (by label).
    init(endpoints: JSONValue, desired: MirroredEndpoints, existing: [JSONValue]) {
        let (byPorts, others) = EndpointSliceShape.byPorts(existing)
        var toDelete = others
        var toCreate: [JSONValue] = []
        var toUpdate: [JSONValue] = []
        for key in desired.groups.keys.sorted() {
            let wanted = MirrorShape.slice(endpoints: endpoints, group: desired.groups[key]!)
            let current = byPorts[key] ?? []
            guard let first = current.first else {
                toCreate.append(wanted)
                continue
            }
            toDelete += current.dropFirst()
            if !MirrorShape.matches(first, wanted) { toUpdate.append(Self.reusing(first, for: wanted)) }
        }
        for (key, slices) in byPorts.sorted(by: { $0.key < $1.key }) where desired.groups[key] == nil {
            toDelete += slices
        }
        // Recycle slices about to be deleted for slices about to be created: one write, not two.
        while !toCreate.isEmpty, let index = toDelete.firstIndex(where: {
            $0["addressType"]?.stringValue == EndpointSliceShape.addressType
        }) {
            toUpdate.append(Self.reusing(toDelete.remove(at: index), for: toCreate.removeLast()))
        }
        // No new slices for an Endpoints object on its way out.
        if endpoints.deletionTimestamp != nil { toCreate.removeAll() }
        creates = toCreate
        updates = toUpdate
        deletes = toDelete
    }

    /// `wanted` written over the existing slice `old` (its name and version kept).
    private static func reusing(_ old: JSONValue, for wanted: JSONValue) -> JSONValue {
        var slice = wanted
        slice[path: ["metadata", "generateName"]] = old[path: ["metadata", "generateName"]]
        slice[path: ["metadata", "name"]] = old[path: ["metadata", "name"]]
        slice[path: ["metadata", "resourceVersion"]] = old[path: ["metadata", "resourceVersion"]]
        return slice
    }
}
