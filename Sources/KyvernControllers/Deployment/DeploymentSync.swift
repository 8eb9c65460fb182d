import Foundation
import KyvernAPI
import KyvernClient
import Logging

/// One pass of the deployment controller over one Deployment (upstream's `syncDeployment`).
///
/// Reads come from the caller (the informers' caches); writes go through the client. Each pass
/// makes at most one step of a rollout — scale the new ReplicaSet up, or old ones down — and then
/// writes the status; the resulting ReplicaSet and pod events bring the Deployment back for the
/// next step. Level-triggered: running it twice, or after a restart, converges the same way.
struct DeploymentSync: Sendable {
    let client: any KubernetesClient
    let events: EventRecorder
    let logger: Logger
    let now: @Sendable () -> Date

    init(client: any KubernetesClient, logger: Logger = Logger(label: "kyvern.controllers.deployment"),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.client = client
        self.logger = logger
        self.now = now
        self.events = EventRecorder(client: client, component: "deployment-controller", logger: logger,
                                    fallbackKind: ("Deployment", "apps/v1"), now: now)
    }

    /// What the caller should do after a pass.
    struct Outcome: Sendable, Equatable {
        /// Look again after this long even without events: a progress deadline may pass.
        var recheckAfter: Duration?
    }

    /// Syncs `deployment` given every ReplicaSet and pod of its namespace (as cached).
    func sync(deployment object: JSONValue, replicaSets: [JSONValue], pods: [JSONValue]) async throws -> Outcome {
        var pass = Pass(sync: self, deployment: DeploymentObject(object))
        return try await pass.run(replicaSets: replicaSets, pods: pods)
    }
}

/// The state of one sync: the Deployment as last written, and the ReplicaSets as last written.
struct Pass {
    let sync: DeploymentSync
    var d: DeploymentObject
    /// The Deployment's ReplicaSets, each as last read or written in this pass, so a second write
    /// of the same ReplicaSet carries its current resourceVersion.
    var owned: [ReplicaSetObject] = []
    var outcome = DeploymentSync.Outcome()

    init(sync: DeploymentSync, deployment: DeploymentObject) {
        self.sync = sync
        self.d = deployment
    }

    var client: any KubernetesClient { sync.client }
    var namespace: String { d.namespace }
    var now: Date { sync.now() }

    mutating func run(replicaSets: [JSONValue], pods: [JSONValue]) async throws -> DeploymentSync.Outcome {
        if let selector = d.selector, selector.objectValue?.isEmpty ?? false {
            await sync.events.warning(d.object, reason: "SelectingAll",
                                      message: "This deployment is selecting all pods. A non-empty selector is required.")
            if d.status.observedGeneration < d.generation {
                var status = d.status
                status.observedGeneration = d.generation
                try await writeStatus(status)
            }
            return outcome
        }
        owned = try await claimReplicaSets(replicaSets)
        if d.isBeingDeleted {
            let (newRS, oldRSs) = try await replicaSetsAndSyncRevision(createIfMissing: false)
            try await syncStatus(allRSs: oldRSs + (newRS.map { [$0] } ?? []), newRS: newRS)
            return outcome
        }
        if let status = DeploymentProgress.pausedConditionUpdate(d, now: now) {
            try await writeStatus(status)
        }
        if d.paused {
            try await scaleAndSyncStatus()
            return outcome
        }
        let (newRS, oldRSs) = try await replicaSetsAndSyncRevision(createIfMissing: false)
        if ReplicaSetSelection.isScalingEvent(d, newRS: newRS, oldRSs: oldRSs) {
            try await scaleAndSyncStatus()
            return outcome
        }
        if d.isRecreate {
            try await rolloutRecreate(pods: pods)
        } else {
            try await rolloutRolling()
        }
        return outcome
    }

    // MARK: claiming

    /// The ReplicaSets this Deployment controls after adopting matching orphans and releasing owned
    /// ones that no longer match its selector.
    mutating func claimReplicaSets(_ all: [JSONValue]) async throws -> [ReplicaSetObject] {
        let selector = (try? LabelSelector(labelSelector: d.selector)) ?? .nothing
        let ownerRef = ControllerRef(owner: d.object, apiVersion: "apps/v1", kind: "Deployment")
        var claimed: [ReplicaSetObject] = []
        var ownerChecked = false
        for rs in all where rs.namespace == namespace {
            switch ClaimDecision.decide(for: rs, ownerUID: d.uid, ownerDeleting: d.isBeingDeleted,
                                        ownerNamespace: namespace, matches: selector.matches(labelsOf: rs)) {
            case .owned:
                claimed.append(ReplicaSetObject(rs))
            case .adopt:
                // Adopt only on behalf of the Deployment as it is now, not a deleted or recreated one.
                if !ownerChecked {
                    let fresh = try await client.get(.deployments, namespace: namespace, name: d.name)
                    guard fresh.uid == d.uid, fresh.deletionTimestamp == nil else { return claimed }
                    ownerChecked = true
                }
                do {
                    let adopted = try await client.patch(.replicaSets, namespace: namespace, name: rs.name ?? "",
                                                         type: .strategicMerge, ownerRef.adoptionPatch(for: rs))
                    claimed.append(ReplicaSetObject(adopted))
                } catch let error as APIError where error.code == 404 {
                    continue
                }
            case .release:
                do {
                    _ = try await client.patch(.replicaSets, namespace: namespace, name: rs.name ?? "",
                                               type: .strategicMerge, ownerRef.releasePatch(for: rs))
                } catch let error as APIError where error.code == 404 || error.code == 422 {
                    continue
                }
            case .ignore:
                continue
            }
        }
        return claimed
    }

    // MARK: new ReplicaSet and revisions

    /// The new ReplicaSet (created if asked and missing) and the old ones, with the new one's
    /// revision raised above every old one and copied onto the Deployment.
    mutating func replicaSetsAndSyncRevision(createIfMissing: Bool) async throws -> (ReplicaSetObject?, [ReplicaSetObject]) {
        let oldRSs = ReplicaSetSelection.oldReplicaSets(of: d, in: owned)
        let newRS = try await newReplicaSet(oldRSs: oldRSs, createIfMissing: createIfMissing)
        if let newRS { remember(newRS) }
        return (newRS, oldRSs)
    }

    /// Records the latest version of a ReplicaSet of this Deployment.
    mutating func remember(_ rs: ReplicaSetObject) {
        if let i = owned.firstIndex(where: { $0.uid == rs.uid }) { owned[i] = rs } else { owned.append(rs) }
    }

    func latest(_ rs: ReplicaSetObject) -> ReplicaSetObject {
        owned.first { $0.uid == rs.uid } ?? rs
    }

    mutating func newReplicaSet(oldRSs: [ReplicaSetObject], createIfMissing: Bool) async throws -> ReplicaSetObject? {
        let newRevision = RevisionAnnotations.maxRevision(oldRSs) + 1
        if let existing = ReplicaSetSelection.newReplicaSet(of: d, in: owned) {
            var rs = existing
            let annotationsChanged = RevisionAnnotations.setNewReplicaSetAnnotations(deployment: d, rs: &rs,
                                                                                     newRevision: newRevision, exists: true)
            let minReadyChanged = Int(rs.object[path: ["spec", "minReadySeconds"]]?.intValue ?? 0) != d.minReadySeconds
            if annotationsChanged || minReadyChanged {
                rs.object[path: ["spec", "minReadySeconds"]] = d.minReadySeconds == 0 ? nil : .int(Int64(d.minReadySeconds))
                return ReplicaSetObject(try await client.update(.replicaSets, namespace: namespace, rs.object))
            }
            var status = d.status
            let revisionChanged = d.annotations[DeploymentKeys.revision] != rs.annotations[DeploymentKeys.revision]
            var statusChanged = false
            if d.hasProgressDeadline && status.condition("Progressing") == nil {
                status.setCondition(DeploymentCondition(type: "Progressing", status: "True",
                                                        reason: DeploymentReason.foundNewReplicaSet.text,
                                                        message: "Found new replica set \(goQuote(rs.name))",
                                                        now: Timestamp.format(now)))
                statusChanged = true
            }
            if revisionChanged { try await setDeploymentRevision(rs.annotations[DeploymentKeys.revision] ?? "") }
            if statusChanged { try await writeStatus(status) }
            return rs
        }
        guard createIfMissing else { return nil }

        let hash = PodTemplateHash.compute(template: d.template, collisionCount: d.status.collisionCount)
        var template = d.template
        var templateLabels = template[path: ["metadata", "labels"]]?.objectValue ?? [:]
        templateLabels[DeploymentKeys.podTemplateHash] = .string(hash)
        template[path: ["metadata", "labels"]] = .object(templateLabels)
        var selector = d.selector ?? [:]
        var matchLabels = selector["matchLabels"]?.objectValue ?? [:]
        matchLabels[DeploymentKeys.podTemplateHash] = .string(hash)
        selector["matchLabels"] = .object(matchLabels)
        let name = d.name + "-" + hash
        var spec: JSONValue = ["replicas": 0, "selector": selector, "template": template]
        if d.minReadySeconds != 0 { spec["minReadySeconds"] = .int(Int64(d.minReadySeconds)) }
        var rs = ReplicaSetObject([
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": .object(templateLabels),
                         "ownerReferences": [ControllerRef(owner: d.object, apiVersion: "apps/v1", kind: "Deployment").json]],
            "spec": spec,
        ])
        let size = RolloutPlanner.newReplicaSetSize(d, allRSs: oldRSs + [rs], newRS: rs)
        rs.replicas = size
        _ = RevisionAnnotations.setNewReplicaSetAnnotations(deployment: d, rs: &rs, newRevision: newRevision, exists: false)

        var created: ReplicaSetObject
        var alreadyExists = false
        do {
            created = ReplicaSetObject(try await client.create(.replicaSets, namespace: namespace, rs.object))
        } catch let error as APIError where error.code == 409 && error.reason == "AlreadyExists" {
            alreadyExists = true
            let existing = ReplicaSetObject(try await client.get(.replicaSets, namespace: namespace, name: name))
            if existing.controllerUID == d.uid && TemplateEquality.equalIgnoringHash(existing.template, d.template) {
                created = existing
            } else {
                // A different template hashed to this name: bump collisionCount so the next pass
                // computes another name, and retry through the error.
                var status = d.status
                status.collisionCount = (status.collisionCount ?? 0) + 1
                try await writeStatus(status)
                sync.logger.info("hash collision, bumped collisionCount",
                                 metadata: ["namespace": "\(namespace)", "name": "\(d.name)",
                                            "collisionCount": "\(status.collisionCount ?? 0)"])
                throw error
            }
        } catch {
            let message = "Failed to create new replica set \(goQuote(name)): \(Self.describe(error))"
            if d.hasProgressDeadline {
                var status = d.status
                status.setCondition(DeploymentCondition(type: "Progressing", status: "False",
                                                        reason: DeploymentReason.replicaSetCreateError.text,
                                                        message: message, now: Timestamp.format(now)))
                try? await writeStatus(status)
            }
            await sync.events.warning(d.object, reason: DeploymentReason.replicaSetCreateError.text, message: message)
            throw error
        }
        if !alreadyExists && size > 0 {
            await sync.events.normal(d.object, reason: "ScalingReplicaSet",
                                     message: "Scaled up replica set \(created.name) from 0 to \(size)")
        }
        if d.annotations[DeploymentKeys.revision] != String(newRevision) {
            try await setDeploymentRevision(String(newRevision))
        }
        if !alreadyExists && d.hasProgressDeadline {
            var status = d.status
            status.setCondition(DeploymentCondition(type: "Progressing", status: "True",
                                                    reason: DeploymentReason.newReplicaSetCreated.text,
                                                    message: "Created new replica set \(goQuote(created.name))",
                                                    now: Timestamp.format(now)))
            try await writeStatus(status)
        }
        return created
    }

    static func describe(_ error: any Error) -> String {
        (error as? APIError)?.message ?? "\(error)"
    }

    // MARK: writes of the Deployment

    /// Sets the Deployment's revision annotation. Upstream carries it in its status write, which
    /// keeps metadata changes for Deployments; a metadata patch is the same change as its own write.
    mutating func setDeploymentRevision(_ revision: String) async throws {
        let patch: JSONValue = ["metadata": ["annotations": [DeploymentKeys.revision: .string(revision)]]]
        let updated = try await client.patch(.deployments, namespace: namespace, name: d.name, type: .merge, patch)
        let status = d.status
        d = DeploymentObject(updated)
        d.status = status
    }

    /// Writes `status` unless it equals the stored one.
    mutating func writeStatus(_ status: DeploymentStatus) async throws {
        if status == DeploymentObject(d.object).status && d.object["status"] != nil { return }
        var object = d.object
        object["status"] = status.json
        d = DeploymentObject(try await client.updateStatus(.deployments, namespace: namespace, object))
    }

    // MARK: scaling

    /// Resizes ReplicaSets as `steps` say, in order, recording upstream's `ScalingReplicaSet` events.
    /// Returns whether any size changed.
    @discardableResult
    mutating func execute(_ steps: [ScaleStep]) async throws -> Bool {
        var scaled = false
        for step in steps {
            guard let rs = owned.first(where: { $0.name == step.name }) else { continue }
            let operation: String
            if let proportional = step.proportionalOperation {
                operation = proportional
            } else {
                if rs.replicas == step.to { continue }
                operation = rs.replicas < step.to ? "up" : "down"
            }
            if let updated = try await scale(rs, to: step.to, operation: operation) {
                if updated.replicas != rs.replicas { scaled = true }
                remember(updated)
            }
        }
        return scaled
    }

    /// Upstream's `scaleReplicaSet`: writes the size and the replica annotations if either differs.
    mutating func scale(_ rs: ReplicaSetObject, to size: Int, operation: String) async throws -> ReplicaSetObject? {
        let maxReplicas = d.replicas + d.maxSurge
        let sizeChanged = rs.replicas != size
        guard sizeChanged || RevisionAnnotations.replicasAnnotationsNeedUpdate(rs, desired: d.replicas, max: maxReplicas) else {
            return nil
        }
        var copy = rs
        copy.replicas = size
        RevisionAnnotations.setReplicasAnnotations(&copy, desired: d.replicas, max: maxReplicas)
        let updated = ReplicaSetObject(try await client.update(.replicaSets, namespace: namespace, copy.object))
        if sizeChanged {
            await sync.events.normal(d.object, reason: "ScalingReplicaSet",
                                     message: "Scaled \(operation) replica set \(rs.name) from \(rs.replicas) to \(size)")
        }
        return updated
    }

    /// Upstream's `sync`: a scaling event or a paused Deployment resizes without rolling.
    mutating func scaleAndSyncStatus() async throws {
        let (newRS, oldRSs) = try await replicaSetsAndSyncRevision(createIfMissing: false)
        try await execute(RolloutPlanner.scale(d, newRS: newRS, oldRSs: oldRSs))
        if d.paused { try await cleanupHistory(oldRSs) }
        try await syncStatus(allRSs: oldRSs + (newRS.map { [$0] } ?? []), newRS: newRS)
    }

    // MARK: strategies

    mutating func rolloutRolling() async throws {
        let (maybeNew, oldRSs) = try await replicaSetsAndSyncRevision(createIfMissing: true)
        guard let newRS = maybeNew else { return }
        let allRSs = oldRSs + [newRS]
        if let step = RolloutPlanner.reconcileNewReplicaSet(d, allRSs: allRSs, newRS: newRS),
           try await execute([step]) {
            return try await syncRolloutStatus(allRSs: allRSs, newRS: newRS)
        }
        let steps = try RolloutPlanner.reconcileOldReplicaSets(d, allRSs: allRSs, oldRSs: oldRSs.active, newRS: newRS)
        if try await execute(steps) {
            return try await syncRolloutStatus(allRSs: allRSs, newRS: newRS)
        }
        if DeploymentProgress.isComplete(d, d.status) { try await cleanupHistory(oldRSs) }
        try await syncRolloutStatus(allRSs: allRSs, newRS: newRS)
    }

    mutating func rolloutRecreate(pods: [JSONValue]) async throws {
        var (newRS, oldRSs) = try await replicaSetsAndSyncRevision(createIfMissing: false)
        var allRSs = oldRSs + (newRS.map { [$0] } ?? [])
        let down = oldRSs.active.map { ScaleStep($0, to: 0) }
        if try await execute(down) {
            return try await syncRolloutStatus(allRSs: allRSs, newRS: newRS)
        }
        if Self.oldPodsRunning(newRS: newRS, oldRSs: oldRSs, pods: pods) {
            return try await syncRolloutStatus(allRSs: allRSs, newRS: newRS)
        }
        if newRS == nil {
            (newRS, oldRSs) = try await replicaSetsAndSyncRevision(createIfMissing: true)
            allRSs = oldRSs + (newRS.map { [$0] } ?? [])
        }
        if let rs = newRS {
            try await execute([ScaleStep(rs, to: d.replicas)])
        }
        if DeploymentProgress.isComplete(d, d.status) { try await cleanupHistory(oldRSs) }
        try await syncRolloutStatus(allRSs: allRSs, newRS: newRS)
    }

    /// Recreate waits until no pod of an old ReplicaSet is left in a non-terminal phase.
    static func oldPodsRunning(newRS: ReplicaSetObject?, oldRSs: [ReplicaSetObject], pods: [JSONValue]) -> Bool {
        if oldRSs.totalStatusReplicas > 0 { return true }
        let oldUIDs = Set(oldRSs.map(\.uid))
        return pods.contains { pod in
            guard let owner = ControllerRef(of: pod)?.uid, oldUIDs.contains(owner), owner != newRS?.uid else { return false }
            let phase = pod[path: ["status", "phase"]]?.stringValue
            return phase != "Failed" && phase != "Succeeded"
        }
    }

    // MARK: cleanup and status

    mutating func cleanupHistory(_ oldRSs: [ReplicaSetObject]) async throws {
        for rs in RolloutPlanner.historyToDelete(d, oldRSs: oldRSs) {
            do {
                try await client.delete(.replicaSets, namespace: namespace, name: rs.name)
            } catch let error as APIError where error.code == 404 {
                continue
            }
        }
    }

    mutating func syncStatus(allRSs: [ReplicaSetObject], newRS: ReplicaSetObject?) async throws {
        try await writeStatus(DeploymentProgress.calculateStatus(d, allRSs: allRSs, newRS: newRS, now: now))
    }

    mutating func syncRolloutStatus(allRSs: [ReplicaSetObject], newRS: ReplicaSetObject?) async throws {
        let clock = now
        let status = DeploymentProgress.rolloutStatus(d, allRSs: allRSs, newRS: newRS, now: clock)
        if status == d.status {
            outcome.recheckAfter = DeploymentProgress.progressCheckDelay(d, status, now: clock)
            return
        }
        try await writeStatus(status)
    }
}
