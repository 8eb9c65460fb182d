import Foundation
import KyvernAPI
import KyvernClient

/// The ControllerRevisions of one owner: its history of templates (upstream's `controller/history`).
///
/// DaemonSets (and later StatefulSets) snapshot each template they roll out as a ControllerRevision
/// named `<owner>-<hash>`, labelled with `controller-revision-hash`, numbered by `revision`. `kubectl
/// rollout history|undo` reads these; the controller finds its current revision by comparing data.
struct ControllerHistory: Sendable {
    static let hashLabel = "controller-revision-hash"

    let client: any KubernetesClient
    let revisions: any ObjectCache
    let ownerResource: ResourceRef
    let ref: ControllerRef

    /// The owner's revisions, adopting orphans its selector matches and releasing those it stopped matching.
    func claimed(owner: JSONValue, selector: LabelSelector) async throws -> [JSONValue] {
        let namespace = owner.namespace ?? ""
        let candidates = await revisions.list(namespace: namespace)
        let claim = ObjectClaim(client: client, resource: .controllerRevisions, ref: ref)
        let client = self.client, ownerResource = self.ownerResource
        return try await claim.claim(owner: owner, selector: selector, candidates: candidates) {
            await ObjectClaim.recheck(client: client, ownerResource: ownerResource, owner: owner)
        }
    }

    /// A revision object for `owner` holding `data` (not yet created).
    func revision(owner: JSONValue, hash: String, templateLabels: [String: String], data: JSONValue,
                  number: Int64) -> JSONValue {
        var labels = templateLabels
        labels[Self.hashLabel] = hash
        var metadata: [String: JSONValue] = [
            "name": .string(Self.name(owner: owner.name ?? "", hash: hash)),
            "namespace": .string(owner.namespace ?? ""),
            "labels": .object(labels.mapValues(JSONValue.string)),
            "ownerReferences": [ref.json],
        ]
        let annotations = owner.annotations
        if !annotations.isEmpty { metadata["annotations"] = .object(annotations.mapValues(JSONValue.string)) }
        return ["apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": .object(metadata),
                "data": data, "revision": .int(number)]
    }

    /// `<owner>-<hash>`.
    static func name(owner: String, hash: String) -> String { "\(owner)-\(hash)" }

    func create(_ revision: JSONValue) async throws -> JSONValue {
        try await client.create(.controllerRevisions, namespace: revision.namespace, revision, options: WriteOptions())
    }

    func get(namespace: String?, name: String) async throws -> JSONValue {
        try await client.get(.controllerRevisions, namespace: namespace, name: name)
    }

    /// Renumbers `revision` (a rollback makes an old template current again with a new number).
    func setNumber(_ revision: JSONValue, to number: Int64) async throws -> JSONValue {
        try await client.patch(.controllerRevisions, namespace: revision.namespace, name: revision.name ?? "",
                               subresource: nil, type: .merge, ["revision": .int(number)], options: WriteOptions())
    }

    func delete(_ revision: JSONValue) async throws {
        do {
            try await client.delete(.controllerRevisions, namespace: revision.namespace, name: revision.name ?? "",
                                    options: DeleteOptions())
        } catch let error as APIError where error.code == 404 {}
    }

    static func number(_ revision: JSONValue) -> Int64 { revision["revision"]?.intValue ?? 0 }

    /// Oldest first; equal numbers by name, so the order is stable.
    static func sortedByNumber(_ revisions: [JSONValue]) -> [JSONValue] {
        revisions.sorted { (number($0), $0.name ?? "") < (number($1), $1.name ?? "") }
    }

    static func maxNumber(_ revisions: [JSONValue]) -> Int64 { revisions.map(number).max() ?? 0 }

    /// Whether two revision datas hold the same thing, whatever their key order or spelled-out empties.
    static func sameData(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        TemplateEquality.canonical(a ?? .null) == TemplateEquality.canonical(b ?? .null)
    }

    /// The old revisions to delete to keep `limit` of them, oldest first, never one whose hash live
    /// pods still carry (upstream's `cleanupHistory`).
    static func excess(old: [JSONValue], limit: Int, liveHashes: Set<String>) -> [JSONValue] {
        var toKill = old.count - limit
        guard toKill > 0 else { return [] }
        var victims: [JSONValue] = []
        for revision in sortedByNumber(old) where toKill > 0 {
            if let hash = revision.labels[hashLabel], liveHashes.contains(hash) { continue }
            victims.append(revision)
            toKill -= 1
        }
        return victims
    }
}
