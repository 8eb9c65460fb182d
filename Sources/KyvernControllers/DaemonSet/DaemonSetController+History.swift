import KyvernAPI
import KyvernClient

extension DaemonSetController {
    func history(of ds: JSONValue) -> ControllerHistory {
        ControllerHistory(client: client, revisions: revisions, ownerResource: .daemonSets,
                          ref: ControllerRef(owner: ds, apiVersion: Self.apiVersion, kind: Self.kind))
    }

    /// What a DaemonSet's revision holds: a strategic-merge patch that restores its template, which is
    /// exactly what `kubectl rollout undo` sends back (upstream's `getPatch`).
    static func revisionData(_ ds: JSONValue) -> JSONValue {
        var template = ds[path: ["spec", "template"]] ?? .object([:])
        template["$patch"] = "replace"
        return ["spec": ["template": template]]
    }

    /// The current revision and the old ones (upstream's `constructHistory`): the current one is the
    /// revision whose data matches the template, created when none does and renumbered above every old
    /// one when it is an old template come back (a rollback).
    func constructHistory(_ ds: JSONValue, selector: LabelSelector) async throws -> (current: JSONValue, old: [JSONValue]) {
        let history = history(of: ds)
        let data = Self.revisionData(ds)
        var matching: [JSONValue] = [], old: [JSONValue] = []
        for revision in try await history.claimed(owner: ds, selector: selector) {
            if ControllerHistory.sameData(revision["data"], data) { matching.append(revision) } else { old.append(revision) }
        }
        let next = ControllerHistory.maxNumber(old) + 1
        guard var current = try await dedup(matching, history: history) else {
            return (try await snapshot(ds, number: next, history: history), old)
        }
        if ControllerHistory.number(current) < next {
            current = try await history.setNumber(current, to: next)
        }
        return (current, old)
    }

    /// Keeps the newest of several revisions holding the current template; the pods of the others are
    /// relabelled to its hash so none is counted as out of date.
    private func dedup(_ revisions: [JSONValue], history: ControllerHistory) async throws -> JSONValue? {
        let sorted = ControllerHistory.sortedByNumber(revisions)
        guard let keep = sorted.last else { return nil }
        let keepHash = keep.labels[ControllerHistory.hashLabel] ?? ""
        for duplicate in sorted.dropLast() {
            let hash = duplicate.labels[ControllerHistory.hashLabel] ?? ""
            for pod in await pods.list(namespace: duplicate.namespace) where pod.labels[ControllerHistory.hashLabel] == hash
                && ControllerRef(of: pod)?.uid == history.ref.uid {
                try await podControl.patchPod(namespace: pod.namespace ?? "", name: pod.name ?? "",
                                              ["metadata": ["labels": .object([ControllerHistory.hashLabel: .string(keepHash)])]])
            }
            try await history.delete(duplicate)
        }
        return keep
    }

    /// Creates the revision of the current template. A name taken by a different template is a hash
    /// collision: bump `status.collisionCount` so the next sync hashes to a fresh name.
    private func snapshot(_ ds: JSONValue, number: Int64, history: ControllerHistory) async throws -> JSONValue {
        let template = ds[path: ["spec", "template"]] ?? .object([:])
        let collisionCount = ds[path: ["status", "collisionCount"]]?.intValue
        let hash = PodTemplateHash.compute(template: template, collisionCount: collisionCount.map(Int.init))
        let templateLabels = (template[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let revision = history.revision(owner: ds, hash: hash, templateLabels: templateLabels,
                                        data: Self.revisionData(ds), number: number)
        do {
            return try await history.create(revision)
        } catch let error as APIError where error.code == 409 {
            let existing = try await history.get(namespace: ds.namespace, name: revision.name ?? "")
            if ControllerHistory.sameData(existing["data"], revision["data"]) { return existing }
            var fresh = try await client.get(.daemonSets, namespace: ds.namespace, name: ds.name ?? "")
            if fresh[path: ["status", "collisionCount"]]?.intValue != collisionCount {
                throw APIError(code: 409, reason: "Conflict", message:
                    "found a stale collision count of DaemonSet \"\(ds.name ?? "")\" while processing; will retry until it is updated")
            }
            fresh[path: ["status", "collisionCount"]] = .int((collisionCount ?? 0) + 1)
            _ = try await client.updateStatus(.daemonSets, namespace: ds.namespace, fresh, options: WriteOptions())
            throw error
        }
    }

    /// Deletes the oldest revisions beyond `spec.revisionHistoryLimit` that no live pod still runs.
    func cleanupHistory(_ ds: JSONValue, old: [JSONValue], pods: DaemonPods) async throws {
        let limit = Int(ds[path: ["spec", "revisionHistoryLimit"]]?.intValue ?? 10)
        let live = Set(pods.byNode.values.joined().compactMap(DaemonPods.hash(of:)))
        let history = history(of: ds)
        for revision in ControllerHistory.excess(old: old, limit: limit, liveHashes: live) {
            try await history.delete(revision)
        }
    }
}
