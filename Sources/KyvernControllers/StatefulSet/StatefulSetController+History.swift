import KyvernAPI
import KyvernClient

extension StatefulSetController {
    func history(of set: JSONValue) -> ControllerHistory {
        ControllerHistory(client: client, revisions: revisions, ownerResource: .statefulSets,
                          ref: ControllerRef(owner: set, apiVersion: Self.apiVersion, kind: Self.kind))
    }

    /// What a revision holds: the strategic-merge patch restoring the template (upstream's `getPatch`),
    /// which `kubectl rollout undo sts` sends back.
    static func revisionData(_ set: JSONValue) -> JSONValue {
        var template = set[path: ["spec", "template"]] ?? .object([:])
        template["$patch"] = "replace"
        return ["spec": ["template": template]]
    }

    /// `set` with the template a revision holds (upstream's `ApplyRevision`).
    static func applying(_ revision: JSONValue, to set: JSONValue) -> JSONValue {
        guard var template = revision[path: ["data", "spec", "template"]], template.objectValue != nil else { return set }
        template["$patch"] = nil
        var applied = set
        applied[path: ["spec", "template"]] = template
        return applied
    }

    /// The current and update revisions and every claimed revision (upstream's `getStatefulSetRevisions`):
    /// the update revision is the latest when it already holds the template, an older equal one
    /// renumbered (a rollback), or a new one; the current revision is the one `status.currentRevision`
    /// names, or the update revision when none is named yet.
    func revisions(_ set: JSONValue, selector: LabelSelector) async throws -> (current: JSONValue, update: JSONValue, all: [JSONValue]) {
        let history = history(of: set)
        var all = ControllerHistory.sortedByNumber(try await history.claimed(owner: set, selector: selector))
        let data = Self.revisionData(set)
        let equal = all.filter { ControllerHistory.sameData($0["data"], data) }
        let next = ControllerHistory.maxNumber(all) + 1
        let update: JSONValue
        if let latestEqual = equal.last, let latest = all.last, latest.name == latestEqual.name {
            update = latest
        } else if let latestEqual = equal.last {
            update = try await history.setNumber(latestEqual, to: next)
            all = all.map { $0.name == update.name ? update : $0 }
        } else {
            update = try await snapshot(set, number: next, history: history)
            all.append(update)
        }
        let currentName = set[path: ["status", "currentRevision"]]?.stringValue
        let current = all.first { $0.name == currentName } ?? update
        return (current, update, all)
    }

    /// Creates the revision of the current template; a name taken by another template bumps
    /// `status.collisionCount` so the next sync hashes to a fresh name.
    private func snapshot(_ set: JSONValue, number: Int64, history: ControllerHistory) async throws -> JSONValue {
        let template = set[path: ["spec", "template"]] ?? .object([:])
        let collisionCount = set[path: ["status", "collisionCount"]]?.intValue
        let hash = PodTemplateHash.compute(template: template, collisionCount: collisionCount.map(Int.init))
        let templateLabels = (template[path: ["metadata", "labels"]]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let revision = history.revision(owner: set, hash: hash, templateLabels: templateLabels,
                                        data: Self.revisionData(set), number: number)
        do {
            return try await history.create(revision)
        } catch let error as APIError where error.code == 409 {
            let existing = try await history.get(namespace: set.namespace, name: revision.name ?? "")
            if ControllerHistory.sameData(existing["data"], revision["data"]) { return existing }
            var fresh = try await client.get(.statefulSets, namespace: set.namespace, name: set.name ?? "")
            fresh[path: ["status", "collisionCount"]] = .int((collisionCount ?? 0) + 1)
            _ = try await client.updateStatus(.statefulSets, namespace: set.namespace, fresh, options: WriteOptions())
            throw error
        }
    }

    /// Deletes the oldest revisions beyond `spec.revisionHistoryLimit` that neither the current nor
    /// the update revision nor any pod uses (upstream's `truncateHistory`).
    func truncateHistory(_ set: JSONValue, pods: [JSONValue], all: [JSONValue], current: JSONValue, update: JSONValue) async throws {
        var live: Set<String> = [current.name ?? "", update.name ?? ""]
        for pod in pods { if let revision = StatefulPodIdentity.revision(of: pod) { live.insert(revision) } }
        let historic = all.filter { !live.contains($0.name ?? "") }
        let limit = Int(set[path: ["spec", "revisionHistoryLimit"]]?.intValue ?? 10)
        let history = history(of: set)
        for revision in ControllerHistory.excess(old: historic, limit: limit, liveHashes: []) {
            try await history.delete(revision)
        }
    }
}
