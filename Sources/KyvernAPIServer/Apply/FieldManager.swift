import KyvernAPI

/// Keeps `metadata.managedFields` as upstream's field manager does: every write records the fields
/// its manager set or changed (an `Update` entry), and server-side apply (`Apply` entries) merges a
/// configuration into the live object, removes what the manager stopped applying, and refuses to
/// take fields other managers own unless forced.
struct FieldManager: Sendable {
    let shapes: TypeShapes
    /// The object's schema entry (`["ref": definition]`).
    let type: JSONValue
    let apiVersion: String
    /// The subresource written ("" for the object itself).
    let subresource: String
    /// Whether the endpoint resets `status` (the object itself, for kinds with a status subresource).
    let resetsStatus: Bool

    /// `type` replaces the catalog's schema entry (a custom resource's, converted from its CRD).
    init(schemas: SchemaSet, info: ResourceInfo, subresource: String?, resetsStatus: Bool, type: JSONValue? = nil) {
        self.shapes = TypeShapes(schemas: schemas)
        self.type = type ?? ["ref": .string(info.definition)]
        self.apiVersion = info.groupVersion
        self.subresource = subresource ?? ""
        self.resetsStatus = resetsStatus
    }

    /// The metadata nobody owns (upstream's strip set).
    private static let strippedMetadata: [PathElement] = ["name", "namespace", "creationTimestamp", "selfLink", "uid",
                                                          "clusterName", "generation", "managedFields",
                                                          "resourceVersion"].map { .field($0) }

    /// `set` without what no manager can own at this endpoint.
    func ownable(_ set: FieldSet) -> FieldSet {
        var result = set.removing(.field("apiVersion")).removing(.field("kind"))
        result.members.remove(.field("metadata"))
        if var meta = result.children[.field("metadata")] {
            for element in Self.strippedMetadata { meta = meta.removing(element) }
            result.children[.field("metadata")] = meta.isEmpty ? nil : meta
        }
        if resetsStatus { result = result.removing(.field("status")) }
        if subresource == "status" { result = result.removing(.field("spec")) }
        return result
    }

    // MARK: update

    /// Records an `Update` by `manager` turning `old` (nil on create) into `new`; returns `new` with
    /// its managed fields.
    func update(old: JSONValue?, new: JSONValue, manager: String, now: String) -> JSONValue {
        var result = new
        let sent = new[path: ["metadata", "managedFields"]]
        if subresource.isEmpty, case .array(let items)? = sent, items.count == 1, items[0] == .object([:]) {
            // A single empty entry is how a client resets managed fields.
            result[path: ["metadata", "managedFields"]] = nil
            return result
        }
        var entries: [ManagedFieldsEntry]
        if subresource.isEmpty, let fromClient = ManagedFieldsEntry.entries(of: new), !fromClient.isEmpty {
            entries = fromClient
        } else {
            entries = ManagedFieldsEntry.entries(of: old) ?? []
        }
        let comparison = ObjectComparison(old: old, new: new, type: type, shapes: shapes)
        let changed = ownable(comparison.changed)
        let removed = ownable(comparison.removed)
        let identity = ManagedFieldsEntry.Identity(manager: manager, operation: "Update", apiVersion: apiVersion,
                                                   subresource: subresource)
        var own: ManagedFieldsEntry?
        for index in entries.indices {
            if entries[index].identity == identity {
                own = entries[index]
            }
            entries[index].fields = entries[index].fields.subtracting(changed).subtracting(removed)
        }
        entries.removeAll { $0.identity == identity }
        if !changed.isEmpty {
            let previous = own?.fields.subtracting(removed) ?? FieldSet()
            entries.append(ManagedFieldsEntry(manager: manager, operation: "Update", apiVersion: apiVersion, time: now,
                                              subresource: subresource, fields: previous.union(changed)))
        } else if var own {
            own.fields = own.fields.subtracting(removed)
            entries.append(own)
        }
        entries.removeAll { $0.fields.isEmpty }
        Self.store(entries, in: &result)
        return result
    }

    static func store(_ entries: [ManagedFieldsEntry], in object: inout JSONValue) {
        object[path: ["metadata", "managedFields"]] = entries.isEmpty ? nil : ManagedFieldsEntry.encode(entries)
    }

    // MARK: apply

    /// Server-side apply of `config` by `manager` to `live` (nil when the object does not exist yet).
    /// - Throws: 409 Conflict naming every field another manager owns and the config changes
    ///   (unless `force`), 400 when the config carries managed fields.
    func apply(live: JSONValue?, config: JSONValue, manager: String, force: Bool, now: String) throws -> JSONValue {
        if config[path: ["metadata", "managedFields"]] != nil {
            throw APIError.badRequest("metadata.managedFields must be nil")
        }
        do {
            return try applyOnce(live: live, config: config, manager: manager, force: force, now: now)
        } catch let conflict as ApplyConflict {
            // kubectl moving from client-side to server-side apply takes over, without conflict,
            // the fields its last-applied annotation still describes as they are.
            guard manager == "kubectl", let allowed = LastAppliedSync.unchangedFields(of: live, manager: self) else {
                throw conflict.error
            }
            let remaining = conflict.conflicts.filter { !allowed.contains($0.1) }
            guard remaining.isEmpty else { throw ApplyConflict(conflicts: remaining).error }
            return try applyOnce(live: live, config: config, manager: manager, force: true, now: now)
        }
    }

    private func applyOnce(live: JSONValue?, config sent: JSONValue, manager: String, force: Bool, now: String) throws -> JSONValue {
        // What this endpoint resets is neither merged nor owned.
        var config = sent
        if resetsStatus { config["status"] = nil }
        if subresource == "status" { config["spec"] = nil }
        var entries = ManagedFieldsEntry.entries(of: live) ?? []
        let root = shapes.shape(type)
        var merged = ApplyMerge(shapes: shapes).merge(live, config, root)
        let identity = ManagedFieldsEntry.Identity(manager: manager, operation: "Apply", apiVersion: "",
                                                   subresource: subresource)
        let previous = entries.first { $0.identity == identity }
        entries.removeAll { $0.identity == identity }
        let applied = ownable(FieldSetExtraction(shapes: shapes).fieldSet(of: config, type: type))
        var mine = ManagedFieldsEntry(manager: manager, operation: "Apply", apiVersion: apiVersion, time: previous?.time,
                                      subresource: subresource, fields: applied)
        if let last = previous?.fields, !last.isEmpty {
            let owned = entries.reduce(applied) { $0.union($1.fields) }
            merged = ApplyPrune(shapes: shapes).prune(merged, root, last: last, owned: owned)
        }
        let comparison = ObjectComparison(old: live, new: merged, type: type, shapes: shapes)
        let changed = ownable(comparison.changed)
        let removed = ownable(comparison.removed)
        var conflicts: [(ManagedFieldsEntry.Identity, FieldPath)] = []
        for entry in entries {
            for path in entry.fields.intersection(changed).paths { conflicts.append((entry.identity, path)) }
        }
        if !conflicts.isEmpty && !force {
            throw ApplyConflict(conflicts: conflicts)
        }
        for index in entries.indices {
            entries[index].fields = entries[index].fields.subtracting(changed).subtracting(removed)
        }
        entries.removeAll { $0.fields.isEmpty }
        var liveObject = live ?? .object([:])
        liveObject[path: ["metadata", "managedFields"]] = nil
        merged[path: ["metadata", "managedFields"]] = nil
        if merged != liveObject || mine.time == nil { mine.time = now }
        if !mine.fields.isEmpty { entries.append(mine) }
        Self.store(entries, in: &merged)
        LastAppliedSync.sync(&merged, applied: sent, manager: manager)
        return merged
    }
}

/// An apply that would take fields other managers own; `error` is its 409.
struct ApplyConflict: Error {
    var conflicts: [(ManagedFieldsEntry.Identity, FieldPath)]

    var error: APIError {
        let sorted = conflicts.sorted { a, b in
            a.0.printed != b.0.printed ? a.0.printed < b.0.printed : a.1.lexicographicallyPrecedes(b.1)
        }
        let causes = sorted.map {
            APIError.Cause(type: "FieldManagerConflict", message: "conflict with \($0.0.printed)", field: $0.1.pathDescription)
        }
        let message: String
        if sorted.count == 1 {
            message = "Apply failed with 1 conflict: conflict with \(sorted[0].0.printed): \(sorted[0].1.pathDescription)"
        } else {
            var lines: [String] = []
            var current: String?
            for (identity, path) in sorted {
                if identity.printed != current {
                    current = identity.printed
                    lines.append("conflicts with \(identity.printed):")
                }
                lines.append("- \(path.pathDescription)")
            }
            message = "Apply failed with \(sorted.count) conflicts: " + lines.joined(separator: "\n")
        }
        return APIError(code: 409, reason: "Conflict", message: message, details: .init(causes: causes))
    }
}
