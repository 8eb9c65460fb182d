import KyvernAPI

/// The writes that bring a Service's slices to the desired endpoints, computed without I/O
/// (upstream's `reconcileByAddressType`, `reconcileByPortMapping` and `finalize`).
///
/// Existing slices keep the endpoints still wanted (updated in place), lose the others, and are
/// deleted when empty; new endpoints first fill slices that are being written anyway, then the
/// unchanged slice they fit best, then new slices of at most `maxEndpointsPerSlice`. Creates turn
/// into updates of slices that would be deleted, and a Service with no endpoints keeps one empty
/// placeholder slice. Nothing is written when nothing differs.
struct SlicePlan: Sendable {
    var creates: [JSONValue] = []
    var updates: [JSONValue] = []
    var deletes: [JSONValue] = []

    var isEmpty: Bool { creates.isEmpty && updates.isEmpty && deletes.isEmpty }

    /// `existing`: the slices of the Service this controller manages (by label).
    init(service: ServiceFacts, desired: DesiredEndpoints, existing: [JSONValue], triggerTime: String?,
         maxEndpointsPerSlice: Int = EndpointSliceShape.maxEndpointsPerSlice) {
        let (byPorts, others) = EndpointSliceShape.byPorts(existing) { EndpointSliceShape.isOwned($0, by: service) }
        var toDelete = others
        var toCreate: [JSONValue] = []
        var toUpdate: [JSONValue] = []
        for key in desired.groups.keys.sorted() {
            let group = desired.groups[key]!
            let result = Self.reconcile(service: service, existing: byPorts[key] ?? [], group: group,
                                        max: maxEndpointsPerSlice)
            toCreate += result.creates
            toUpdate += result.updates
            toDelete += result.deletes
        }
        for (key, slices) in byPorts.sorted(by: { $0.key < $1.key }) where desired.groups[key] == nil {
            toDelete += slices
        }
        if existing.count == toDelete.count && toCreate.isEmpty {
            let placeholder = EndpointSliceShape.newSlice(service: service, ports: [])
            if toDelete.count == 1 && Self.isPlaceholder(toDelete[0], like: placeholder) {
                toDelete.removeAll()
            } else {
                toCreate.append(placeholder)
            }
        }
        // Reuse slices about to be deleted for slices about to be created: one write, not two.
        var index = 0
        while index < toDelete.count, !toCreate.isEmpty {
            let victim = toDelete[index]
            guard victim["addressType"]?.stringValue == EndpointSliceShape.addressType,
                  EndpointSliceShape.isOwned(victim, by: service) else {
                index += 1
                continue
            }
            var slice = toCreate.removeLast()
            slice[path: ["metadata", "name"]] = victim["metadata"]?["name"]
            slice[path: ["metadata", "resourceVersion"]] = victim["metadata"]?["resourceVersion"]
            if let annotations = victim[path: ["metadata", "annotations"]] {
                slice[path: ["metadata", "annotations"]] = annotations
            }
            toUpdate.append(slice)
            toDelete.remove(at: index)
        }
        if service.service.deletionTimestamp != nil { toCreate.removeAll() }
        creates = toCreate.map { Self.stamped($0, triggerTime: triggerTime) }
        updates = toUpdate.map { Self.stamped($0, triggerTime: triggerTime) }
        deletes = toDelete
    }

    /// One group of ports: which of its existing slices to update, delete, and what to create.
    private static func reconcile(service: ServiceFacts, existing: [JSONValue], group: DesiredEndpoints.Group,
                                  max: Int) -> (creates: [JSONValue], updates: [JSONValue], deletes: [JSONValue]) {
        var wanted = Dictionary(group.endpoints.map { ($0.identity, $0.endpoint) }, uniquingKeysWith: { a, _ in a })
        let labels = EndpointSliceShape.labels(service: service)
        var changed: [JSONValue] = []
        var unchanged: [JSONValue] = []
        var deletes: [JSONValue] = []
        for slice in existing {
            let current = EndpointSliceShape.endpoints(of: slice)
            var kept: [JSONValue] = []
            var endpointChanged = false
            for endpoint in current {
                let identity = EndpointSliceShape.identity(endpoint)
                guard let desired = wanted.removeValue(forKey: identity) else { continue }
                kept.append(desired)
                if desired != endpoint { endpointChanged = true }
            }
            let labelsChanged = slice.labels != labels
            if endpointChanged || kept.count != current.count {
                if kept.isEmpty {
                    deletes.append(slice)
                } else {
                    var copy = slice
                    copy["endpoints"] = .array(kept)
                    copy[path: ["metadata", "labels"]] = .object(labels.mapValues(JSONValue.string))
                    changed.append(copy)
                }
            } else if labelsChanged {
                var copy = slice
                copy[path: ["metadata", "labels"]] = .object(labels.mapValues(JSONValue.string))
                changed.append(copy)
            } else {
                unchanged.append(slice)
            }
        }
        // What is left to place, in a stable order.
        var remaining = group.endpoints.map(\.identity).filter { wanted[$0] != nil }.map { wanted[$0]! }
        // Fill the slices being written anyway, fullest first.
        changed.sort { EndpointSliceShape.endpoints(of: $0).count > EndpointSliceShape.endpoints(of: $1).count }
        for index in changed.indices where !remaining.isEmpty {
            var endpoints = EndpointSliceShape.endpoints(of: changed[index])
            let room = max - endpoints.count
            guard room > 0 else { continue }
            endpoints += remaining.prefix(room)
            remaining.removeFirst(min(room, remaining.count))
            changed[index]["endpoints"] = .array(endpoints)
        }
        var creates: [JSONValue] = []
        while !remaining.isEmpty {
            var slice: JSONValue
            if remaining.count < max, let best = bestFit(unchanged, adding: remaining.count, max: max) {
                slice = unchanged.remove(at: best)
            } else {
                slice = EndpointSliceShape.newSlice(service: service, ports: group.ports)
            }
            var endpoints = EndpointSliceShape.endpoints(of: slice)
            let room = max - endpoints.count
            endpoints += remaining.prefix(room)
            remaining.removeFirst(min(room, remaining.count))
            slice["endpoints"] = .array(endpoints)
            if slice.name == nil { creates.append(slice) } else { changed.append(slice) }
        }
        return (creates, changed, deletes)
    }

    /// The unchanged slice that ends up closest to full after taking `count` more (upstream's `getSliceToFill`).
    private static func bestFit(_ slices: [JSONValue], adding count: Int, max: Int) -> Int? {
        var best: (index: Int, gap: Int)?
        for (index, slice) in slices.enumerated() {
            let gap = max - (count + EndpointSliceShape.endpoints(of: slice).count)
            if gap >= 0 && gap < (best?.gap ?? max) {
                best = (index, gap)
                if gap == 0 { break }
            }
        }
        return best?.index
    }

    /// An existing slice that already is the placeholder: no endpoints, no ports, right labels and owner.
    private static func isPlaceholder(_ slice: JSONValue, like placeholder: JSONValue) -> Bool {
        EndpointSliceShape.endpoints(of: slice).isEmpty && EndpointSliceShape.ports(of: slice).isEmpty
            && slice["addressType"] == placeholder["addressType"] && slice.labels == placeholder.labels
            && slice.ownerReferences == placeholder.ownerReferences
    }

    /// Sets or clears the trigger-time annotation on a slice about to be written.
    private static func stamped(_ slice: JSONValue, triggerTime: String?) -> JSONValue {
        var slice = slice
        var annotations = slice[path: ["metadata", "annotations"]]?.objectValue ?? [:]
        annotations[EndpointSliceShape.triggerTimeAnnotation] = triggerTime.map(JSONValue.string)
        slice[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : .object(annotations)
        return slice
    }
}
