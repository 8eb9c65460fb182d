import Foundation
import KyvernAPI
import KyvernClient

/// Where an object lives in the fake: its namespace ("" when cluster-scoped) and name, ordered as
/// upstream's storage keys order a list.
struct ObjectKey: Hashable, Comparable, Sendable {
    var namespace: String
    var name: String

    static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.namespace, a.name) < (b.namespace, b.name)
    }
}

/// One committed change, kept so watches can start from any resourceVersion still in history.
struct Change: Sendable {
    enum Kind: Sendable { case added, modified, deleted }
    var revision: Int64
    var resource: String
    var key: ObjectKey
    var kind: Kind
    /// The object before a modification (selector transitions need it).
    var old: JSONValue?
    var object: JSONValue
}

/// Which objects a list or watch selects.
struct Selection: Sendable {
    var namespace: String?
    var labels: LabelSelector
    var fields: FieldSelector

    /// Fields the fake can select on: every kind's name and namespace, plus the ones the components use.
    static let supportedFields: [String: [String]] = [
        "pods": ["spec.nodeName", "spec.schedulerName", "spec.serviceAccountName", "spec.restartPolicy",
                 "status.phase", "status.podIP", "status.nominatedNodeName"],
        "nodes": ["spec.unschedulable"],
        "namespaces": ["status.phase"],
    ]

    init(ref: ResourceRef, namespace: String?, options: ListOptions) throws {
        self.namespace = ref.namespaced ? namespace : nil
        labels = try LabelSelector.parse(options.labelSelector ?? "")
        fields = try FieldSelector.parse(options.fieldSelector ?? "")
        let allowed = Set(["metadata.name", "metadata.namespace"] + (Self.supportedFields[ref.resource] ?? []))
        for name in fields.fieldNames.sorted() where !allowed.contains(name) {
            throw APIError.badRequest("field label not supported: \(name)")
        }
    }

    func matches(_ object: JSONValue, key: ObjectKey) -> Bool {
        if let namespace, key.namespace != namespace { return false }
        if !labels.matches(labelsOf: object) { return false }
        if fields.isEmpty { return true }
        var values = ["metadata.name": key.name, "metadata.namespace": key.namespace]
        for name in fields.fieldNames where !name.hasPrefix("metadata.") {
            switch object[path: name.split(separator: ".").map(String.init)] {
            case .string(let s)?: values[name] = s
            case .bool(let b)?: values[name] = b ? "true" : "false"
            default: break
            }
        }
        return fields.matches(values)
    }
}

/// A watch registered with the fake.
struct Watcher: Sendable {
    var resource: String
    var selection: Selection
    var bookmarks: Bool
    var continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation

    /// What this watcher sees of a change: selector transitions turn a modification into an add
    /// (the object starts matching) or a delete (it stops matching), as upstream's watch cache does.
    func event(for change: Change) -> WatchEvent? {
        guard change.resource == resource else { return nil }
        let now = selection.matches(change.object, key: change.key)
        switch change.kind {
        case .added:
            return now ? .added(change.object) : nil
        case .deleted:
            return now ? .deleted(change.object) : nil
        case .modified:
            let before = change.old.map { selection.matches($0, key: change.key) } ?? false
            switch (before, now) {
            case (true, true): return .modified(change.object)
            case (false, true): return .added(change.object)
            case (true, false):
                var gone = change.old ?? change.object
                gone.resourceVersion = String(change.revision)
                return .deleted(gone)
            case (false, false): return nil
            }
        }
    }
}
