import Foundation
import KyvernAPI

/// What a delete does to one object, decided without I/O, as upstream's generic registry store
/// decides it: graceful deletion (pods), finalizers, and the garbage collector's finalizers that
/// `propagationPolicy` asks for.
struct DeletionRules: Sendable {
    let info: ResourceInfo
    let options: DeleteOptions

    static let orphanFinalizer = "orphan"
    static let foregroundFinalizer = "foregroundDeletion"

    /// Only pods are deleted gracefully: their node agent needs time to stop the containers.
    var isGraceful: Bool { info.group.isEmpty && info.resource == "pods" }

    /// The finalizer a kind's own deletion adds, as upstream's registry does: a
    /// CustomResourceDefinition stays until the API server has deleted its objects.
    var deletionFinalizer: String? {
        info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions"
            ? CustomResourceDefinitionController.cleanupFinalizer : nil
    }

    /// Events opt out of garbage collection, so propagation finalizers are never set on them.
    var supportsGarbageCollection: Bool {
        !(info.resource == "events" && (info.group.isEmpty || info.group == "events.k8s.io"))
    }

    enum Grace: Equatable {
        /// Not a graceful deletion (or the grace period is over): delete, unless finalizers remain.
        case none
        /// A graceful deletion is already under way with a period no longer than the one asked.
        case pending
        /// Marked for deletion in that many seconds (0: delete now).
        case graceful(Int64)
    }

    /// Upstream's BeforeDelete: preconditions first, then the grace period a pod gets, written
    /// into the object's `deletionTimestamp` and `deletionGracePeriodSeconds`.
    func beforeDelete(_ object: inout JSONValue, now: Date) throws -> Grace {
        try checkPreconditions(object)
        guard isGraceful else { return .none }
        var requested = options.gracePeriodSeconds.map { $0 < 0 ? 1 : $0 }
        if let existing = object[path: ["metadata", "deletionTimestamp"]]?.stringValue {
            let current = object[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue ?? 0
            if current <= 0 { return .none }
            guard let period = requested else { return .pending }
            if period >= current { return .pending }
            let started = (Timestamp.parse(existing) ?? now).addingTimeInterval(-Double(current))
            object[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(started.addingTimeInterval(Double(period))))
            object[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(period)
            return .graceful(period)
        }
        // Without a period asked for, the pod's own (which defaulting sets to 30).
        if requested == nil { requested = object[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? 30 }
        // A pod not yet on a node, or already finished, has nothing to stop: it goes at once.
        var period = requested ?? 0
        let phase = object[path: ["status", "phase"]]?.stringValue
        if (object[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty || phase == "Succeeded" || phase == "Failed" {
            period = 0
        }
        if period < 0 { period = 1 }
        object[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now.addingTimeInterval(Double(period))))
        object[path: ["metadata", "deletionGracePeriodSeconds"]] = .int(period)
        bumpGeneration(&object)
        return .graceful(period)
    }

    /// Upstream checks preconditions on the kind (`Operation cannot be fulfilled on Pod "x"`).
    func checkPreconditions(_ object: JSONValue) throws {
        let name = object[path: ["metadata", "name"]]?.stringValue ?? ""
        if let uid = options.preconditionUID {
            let actual = object[path: ["metadata", "uid"]]?.stringValue ?? ""
            if uid != actual {
                throw APIError.conflict(group: info.group, resource: info.kind, name: name,
                                        reason: "the UID in the precondition (\(uid)) does not match the UID in record (\(actual)). The object might have been deleted and then recreated")
            }
        }
        if let rv = options.preconditionResourceVersion {
            let actual = object[path: ["metadata", "resourceVersion"]]?.stringValue ?? ""
            if rv != actual {
                throw APIError.conflict(group: info.group, resource: info.kind, name: name,
                                        reason: "the ResourceVersion in the precondition (\(rv)) does not match the ResourceVersion in record (\(actual)). The object might have been modified")
            }
        }
    }

    /// The finalizers after adding or removing the garbage collector's `orphan` and
    /// `foregroundDeletion` as the options (or, without options, the object) ask; nil if unchanged.
    func garbageCollectionFinalizers(_ object: JSONValue) -> [String]? {
        guard supportsGarbageCollection else { return nil }
        let current = (object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
        let orphan: Bool, foreground: Bool
        if let orphanDependents = options.orphanDependents {
            orphan = orphanDependents
            foreground = false
        } else if let policy = options.propagationPolicy {
            orphan = policy == "Orphan"
            foreground = policy == "Foreground"
        } else {
            let first = current.first { $0 == Self.orphanFinalizer || $0 == Self.foregroundFinalizer }
            orphan = first == Self.orphanFinalizer
            foreground = first == Self.foregroundFinalizer
        }
        var updated = current.filter { $0 != Self.orphanFinalizer && $0 != Self.foregroundFinalizer }
        if orphan { updated.append(Self.orphanFinalizer) }
        if foreground { updated.append(Self.foregroundFinalizer) }
        return Set(updated) == Set(current) ? nil : updated
    }

    enum Step: Equatable {
        /// A graceful deletion is already under way: nothing to write.
        case alreadyDeleting
        /// Nothing keeps the object: remove it from the store.
        case deleteNow
        /// Write this object; it stays (finalizers, or a grace period still running).
        case mark(JSONValue)
        /// Write this object (a grace period of 0), then remove it.
        case markThenDelete(JSONValue)
    }

    /// Upstream's updateForGracefulDeletionAndFinalizers, on the object as currently stored.
    func step(for existing: JSONValue, now: Date) throws -> Step {
        var object = existing
        let grace = try beforeDelete(&object, now: now)
        if grace == .pending { return .alreadyDeleting }
        if let finalizers = garbageCollectionFinalizers(object) {
            object[path: ["metadata", "finalizers"]] = .array(finalizers.map(JSONValue.string))
        }
        if let own = deletionFinalizer, existing[path: ["metadata", "deletionTimestamp"]] == nil {
            var finalizers = object[path: ["metadata", "finalizers"]]?.arrayValue ?? []
            if !finalizers.contains(.string(own)) { finalizers.append(.string(own)) }
            object[path: ["metadata", "finalizers"]] = .array(finalizers)
        }
        let pendingFinalizers = !(object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).isEmpty
        guard case .graceful(let period) = grace else {
            guard pendingFinalizers else { return .deleteNow }
            markAsDeleting(&object, now: now)
            return .mark(object)
        }
        return pendingFinalizers || period > 0 ? .mark(object) : .markThenDelete(object)
    }

    /// Whether the store must be touched before deleting, or the object can simply go.
    func needsUpdate(_ object: JSONValue, grace: Grace) -> Bool {
        if case .graceful = grace { return true }
        if deletionFinalizer != nil, object[path: ["metadata", "deletionTimestamp"]] == nil { return true }
        return !(object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).isEmpty || garbageCollectionFinalizers(object) != nil
    }

    /// An object held by finalizers: deleted as of now, grace period 0, generation bumped once.
    func markAsDeleting(_ object: inout JSONValue, now: Date) {
        let existing = object[path: ["metadata", "deletionTimestamp"]]?.stringValue.flatMap(Timestamp.parse)
        if existing == nil { bumpGeneration(&object) }
        if existing == nil || existing! > now {
            object[path: ["metadata", "deletionTimestamp"]] = .string(Timestamp.format(now))
        }
        object[path: ["metadata", "deletionGracePeriodSeconds"]] = 0
    }

    private func bumpGeneration(_ object: inout JSONValue) {
        if let generation = object[path: ["metadata", "generation"]]?.intValue, generation > 0 {
            object[path: ["metadata", "generation"]] = .int(generation + 1)
        }
    }

    /// Kinds whose delete answers with the object rather than a Status.
    var returnsDeletedObject: Bool {
        info.group.isEmpty && ["pods", "services", "namespaces", "persistentvolumes"].contains(info.resource)
    }
}
