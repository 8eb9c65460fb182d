import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Testing
@testable import KyvernControllers

/// One sync pass at a time against the in-memory API, with the ReplicaSet controller's part
/// (status) played by the test.
@Suite struct DeploymentSyncTests {
    typealias F = DeploymentFixtures
    let fake = FakeClient()
    let clock = Timestamp.parse("2026-11-26T10:20:00Z")!

    var sync: DeploymentSync { DeploymentSync(client: fake, now: { [clock] in clock }) }

    func seedDeployment(_ d: DeploymentObject = F.deployment()) throws {
        var object = d.object
        object["status"] = nil
        object.setMetadata("uid", nil)
        object.setMetadata("generation", nil)
        try fake.seed(.deployments, object)
    }

    func deployment() -> JSONValue { fake.object(.deployments, namespace: "default", name: "web")! }
    func replicaSets() -> [ReplicaSetObject] { fake.objects(.replicaSets, namespace: "default").map(ReplicaSetObject.init) }
    func events() -> [String] {
        fake.objects(.events, namespace: "default").sorted { ($0.name ?? "") < ($1.name ?? "") }
            .map { ($0["reason"]?.stringValue ?? "") + ": " + ($0["message"]?.stringValue ?? "") }
    }

    @discardableResult
    func runSync() async throws -> DeploymentSync.Outcome {
        // Events are written asynchronously: wait for this pass's before the test reads them.
        let sync = sync
        do {
            let outcome = try await sync.sync(deployment: deployment(), replicaSets: fake.objects(.replicaSets, namespace: "default"),
                                              pods: fake.objects(.pods, namespace: "default"))
            await sync.events.flush()
            return outcome
        } catch {
            await sync.events.flush()
            throw error
        }
    }

    /// Plays the ReplicaSet controller: every ReplicaSet reports `spec.replicas` pods, all available
    /// unless `available` says otherwise for a name.
    func settle(available: [String: Int] = [:]) async throws {
        for rs in replicaSets() {
            var object = rs.object
            let avail = available[rs.name] ?? rs.replicas
            object["status"] = ["replicas": .int(Int64(rs.replicas)), "readyReplicas": .int(Int64(avail)),
                                "availableReplicas": .int(Int64(avail)), "observedGeneration": .int(Int64(rs.generation))]
            _ = try await fake.updateStatus(.replicaSets, namespace: "default", object)
        }
    }

    func setImage(_ image: String) async throws {
        _ = try await fake.patch(.deployments, namespace: "default", name: "web", type: .merge,
                                 ["spec": ["template": ["spec": ["containers": [["name": "web", "image": .string(image)]]]]]])
    }

    /// Brings `d` to a settled first revision, then sets a new image; returns the old ReplicaSet's name.
    func rollOut(from d: DeploymentObject) async throws -> String {
        try seedDeployment(d)
        try await runSync()
        try await settle()
        try await runSync()
        let oldName = try #require(replicaSets().first?.name)
        try await setImage("nginx:1.28")
        return oldName
    }

    @Test func aSettledDeploymentIsNotWrittenAgain() async throws {
        try seedDeployment()
        try await runSync()
        try await settle()
        try await runSync()
        #expect(DeploymentObject(deployment()).status.availableReplicas == 3)
        let before = fake.writes.count
        // Nothing changed since: no status write, which could only conflict or churn watchers.
        try await runSync()
        #expect(fake.writes.count == before)
    }

    @Test func newDeploymentGetsAReplicaSetWithHashRevisionAndEvent() async throws {
        try seedDeployment()
        try await runSync()
        let rsList = replicaSets()
        #expect(rsList.count == 1)
        let rs = try #require(rsList.first)
        let hash = PodTemplateHash.compute(template: F.template(), collisionCount: nil)
        #expect(rs.name == "web-" + hash)
        #expect(rs.replicas == 3)
        #expect(rs.object.labels == ["app": "web", "pod-template-hash": hash])
        #expect(rs.object[path: ["spec", "selector"]] == ["matchLabels": ["app": "web", "pod-template-hash": .string(hash)]])
        #expect(rs.object[path: ["spec", "template", "metadata", "labels", "pod-template-hash"]] == .string(hash))
        #expect(rs.annotations == [DeploymentKeys.revision: "1", DeploymentKeys.desiredReplicas: "3", DeploymentKeys.maxReplicas: "4"])
        #expect(rs.controllerUID == deployment().uid)
        let d = DeploymentObject(deployment())
        #expect(d.annotations[DeploymentKeys.revision] == "1")
        #expect(d.status.condition("Progressing")?.reason == "NewReplicaSetCreated")
        #expect(d.status.condition("Progressing")?.message == "Created new replica set \"\(rs.name)\"")
        #expect(d.status.condition("Available")?.reason == "MinimumReplicasUnavailable")
        #expect(events() == ["ScalingReplicaSet: Scaled up replica set \(rs.name) from 0 to 3"])

        try await settle()
        try await runSync()
        let done = DeploymentObject(deployment()).status
        #expect(done.replicas == 3 && done.updatedReplicas == 3 && done.availableReplicas == 3 && done.readyReplicas == 3)
        #expect(done.observedGeneration == 1)
        #expect(done.condition("Available")?.status == "True")
        #expect(done.condition("Progressing")?.reason == "NewReplicaSetAvailable")
        #expect(done.conditions.map(\.type) == ["Available", "Progressing"])
    }

    @Test func rollingUpdateStepsWithinSurgeAndUnavailability() async throws {
        let oldName = try await rollOut(from: F.deployment(replicas: 3, maxSurge: 1, maxUnavailable: 0))
        try await runSync()
        var rsList = replicaSets()
        let newRS = try #require(rsList.first { $0.name != oldName })
        #expect(newRS.replicas == 1)
        #expect(newRS.annotations[DeploymentKeys.revision] == "2")
        #expect(rsList.first { $0.name == oldName }?.replicas == 3)
        #expect(DeploymentObject(deployment()).annotations[DeploymentKeys.revision] == "2")

        // The new pod is not available yet: nothing may go.
        try await settle(available: [newRS.name: 0])
        try await runSync()
        #expect(replicaSets().first { $0.name == oldName }?.replicas == 3)

        // It becomes available: one old pod goes, then the new ReplicaSet grows, and so on.
        var steps: [[Int]] = []
        for _ in 0..<8 {
            try await settle()
            try await runSync()
            rsList = replicaSets()
            let sizes = [rsList.first { $0.name == oldName }!.replicas, rsList.first { $0.name == newRS.name }!.replicas]
            #expect(sizes[0] + sizes[1] <= 4)
            steps.append(sizes)
        }
        #expect(steps.prefix(5) == [[2, 1], [2, 2], [1, 2], [1, 3], [0, 3]])
        let status = DeploymentObject(deployment()).status
        #expect(status.condition("Progressing")?.reason == "NewReplicaSetAvailable")
        #expect(status.updatedReplicas == 3 && status.replicas == 3)
        #expect(events().contains("ScalingReplicaSet: Scaled down replica set \(oldName) from 3 to 2"))
        #expect(events().contains("ScalingReplicaSet: Scaled up replica set \(newRS.name) from 0 to 1"))
    }

    /// The lag seen under load: the old ReplicaSet was scaled down to 1 but its status (written by
    /// the ReplicaSet controller, which has not caught up) still counts 2 available pods. The pass
    /// must fail and leave every size alone instead of "cleaning up" the old one back to 2 (6 pods
    /// for replicas 4 + maxSurge 1); once the status catches up the rollout finishes within bounds.
    @Test func laggingOldStatusNeverScalesAnOldReplicaSetUp() async throws {
        let oldName = try await rollOut(from: F.deployment(replicas: 4, maxSurge: 1, maxUnavailable: 1))
        func sizes() -> (old: Int, new: Int) {
            let list = replicaSets()
            return (list.first { $0.name == oldName }!.replicas, list.first { $0.name != oldName }?.replicas ?? 0)
        }
        for _ in 0..<10 where sizes() != (1, 4) {
            try await runSync()
            #expect(sizes().old + sizes().new <= 5)
            try await settle()
        }
        #expect(sizes() == (1, 4))
        // The old ReplicaSet's status still reports its two former pods; one new pod is not ready.
        let newName = try #require(replicaSets().first { $0.name != oldName }?.name)
        for (name, replicas, available) in [(oldName, 2, 2), (newName, 4, 3)] {
            var rs = try #require(fake.object(.replicaSets, namespace: "default", name: name))
            rs["status"] = ["replicas": .int(Int64(replicas)), "availableReplicas": .int(Int64(available)),
                            "readyReplicas": .int(Int64(available)), "observedGeneration": rs["metadata"]?["generation"] ?? 1]
            _ = try await fake.updateStatus(.replicaSets, namespace: "default", rs)
        }
        fake.clearActions()
        await #expect(throws: RolloutPlanner.InvalidCleanup.self) { try await runSync() }
        #expect(fake.writes.filter { $0.resource == "replicasets" }.isEmpty)
        #expect(sizes() == (1, 4))

        try await settle()
        try await runSync()
        #expect(sizes() == (0, 4))
        #expect(events().contains("ScalingReplicaSet: Scaled down replica set \(oldName) from 1 to 0"))
        #expect(!events().contains("ScalingReplicaSet: Scaled up replica set \(oldName) from 1 to 2"))
    }

    /// The lag seen under load: the old ReplicaSet was scaled down from 4 to 3, but the ReplicaSet
    /// controller has not deleted the pod yet (its status still counts 4). The new ReplicaSet must
    /// not grow into that room: 4 old pods + 2 new would exceed replicas 4 + maxSurge 1.
    @Test func newReplicaSetWaitsForTheOldOnesPodsToGo() async throws {
        let oldName = try await rollOut(from: F.deployment(replicas: 4, maxSurge: 1, maxUnavailable: 1))
        func sizes() -> (old: Int, new: Int) {
            let list = replicaSets()
            return (list.first { $0.name == oldName }!.replicas, list.first { $0.name != oldName }?.replicas ?? 0)
        }
        try await runSync()
        #expect(sizes() == (3, 1))
        // Not settled: the old status still reports 4 pods, the new one none yet.
        _ = try? await runSync()
        #expect(sizes() == (3, 1))
        let pods = replicaSets().reduce(0) { $0 + max($1.replicas, $1.statusReplicas) }
        #expect(pods <= 5)

        // The old pod is gone (the new one not yet available): now the new ReplicaSet may grow.
        let newName = try #require(replicaSets().first { $0.name != oldName }?.name)
        try await settle(available: [newName: 0])
        try await runSync()
        #expect(sizes() == (3, 2))
        #expect(events().contains("ScalingReplicaSet: Scaled up replica set \(newName) from 1 to 2"))
    }

    @Test func scalingAStableDeploymentResizesItsReplicaSet() async throws {
        try seedDeployment()
        try await runSync()
        try await settle()
        try await runSync()
        _ = try await fake.patch(.deployments, namespace: "default", name: "web", type: .merge, ["spec": ["replicas": 10]])
        try await runSync()
        let rs = try #require(replicaSets().first)
        #expect(rs.replicas == 10)
        #expect(rs.annotations[DeploymentKeys.desiredReplicas] == "10")
        #expect(rs.annotations[DeploymentKeys.maxReplicas] == "13")
        #expect(events().last == "ScalingReplicaSet: Scaled up replica set \(rs.name) from 3 to 10")
    }

    @Test func rollbackMakesTheOldReplicaSetNewWithTheNextRevision() async throws {
        try seedDeployment()
        try await runSync()
        try await settle()
        try await runSync()
        let first = try #require(replicaSets().first)
        try await setImage("nginx:1.28")
        for _ in 0..<10 {
            try await runSync()
            try await settle()
        }
        #expect(replicaSets().first { $0.name == first.name }?.replicas == 0)
        // kubectl rollout undo: the Deployment's template becomes the first ReplicaSet's again.
        try await setImage("nginx:1.27")
        try await runSync()
        let back = try #require(replicaSets().first { $0.name == first.name })
        #expect(back.annotations[DeploymentKeys.revision] == "3")
        #expect(back.annotations[DeploymentKeys.revisionHistory] == "1")
        #expect(replicaSets().count == 2)
        try await runSync()
        #expect(DeploymentObject(deployment()).annotations[DeploymentKeys.revision] == "3")
    }

    @Test func pausedDeploymentDoesNotRollOut() async throws {
        try seedDeployment()
        try await runSync()
        try await settle()
        try await runSync()
        _ = try await fake.patch(.deployments, namespace: "default", name: "web", type: .merge, ["spec": ["paused": true]])
        try await setImage("nginx:1.28")
        try await runSync()
        #expect(replicaSets().count == 1)
        let progressing = DeploymentObject(deployment()).status.condition("Progressing")
        #expect(progressing?.status == "Unknown")
        #expect(progressing?.reason == "DeploymentPaused")
        _ = try await fake.patch(.deployments, namespace: "default", name: "web", type: .merge, ["spec": ["paused": false]])
        try await runSync()
        #expect(replicaSets().count == 2)
    }

    @Test func recreateScalesOldToZeroBeforeCreatingNew() async throws {
        let oldName = try await rollOut(from: F.deployment(strategy: "Recreate"))
        try await runSync()
        #expect(replicaSets().count == 1)
        #expect(replicaSets().first?.replicas == 0)
        try await runSync()  // old pods still reported
        #expect(replicaSets().count == 1)
        try await settle()
        try await runSync()
        let newRS = try #require(replicaSets().first { $0.name != oldName })
        #expect(newRS.replicas == 3)
        #expect(events().suffix(2) == ["ScalingReplicaSet: Scaled down replica set \(oldName) from 3 to 0",
                                       "ScalingReplicaSet: Scaled up replica set \(newRS.name) from 0 to 3"])
    }

    @Test func historyBeyondTheLimitIsDeletedOnceComplete() async throws {
        try seedDeployment(F.deployment(revisionHistoryLimit: 1))
        for image in ["nginx:1.27", "nginx:1.28", "nginx:1.29"] {
            try await setImage(image)
            for _ in 0..<10 {
                try await runSync()
                try await settle()
            }
        }
        try await runSync()
        let names = replicaSets().map { $0.annotations[DeploymentKeys.revision] ?? "" }.sorted()
        #expect(names == ["2", "3"])
    }

    @Test func hashCollisionBumpsCollisionCount() async throws {
        try seedDeployment()
        let hash = PodTemplateHash.compute(template: F.template(), collisionCount: nil)
        var squatter = F.replicaSet("web-" + hash, image: "other", replicas: 0).object
        squatter.ownerReferences = []
        squatter.labels = ["other": "x"]
        try fake.seed(.replicaSets, squatter)
        await #expect(throws: APIError.self) { try await runSync() }
        #expect(DeploymentObject(deployment()).status.collisionCount == 1)
        try await runSync()
        let mine = replicaSets().filter { $0.controllerUID == deployment().uid }
        #expect(mine.map(\.name) == ["web-" + PodTemplateHash.compute(template: F.template(), collisionCount: 1)])
    }

    @Test func orphanReplicaSetsMatchingTheSelectorAreAdopted() async throws {
        try seedDeployment()
        var orphan = F.replicaSet("web-orphan", replicas: 3).object
        orphan.ownerReferences = []
        orphan.labels = ["app": "web"]
        try fake.seed(.replicaSets, orphan)
        try await runSync()
        let adopted = try #require(replicaSets().first { $0.name == "web-orphan" })
        #expect(adopted.controllerUID == deployment().uid)
        // Its template is the Deployment's: it is the new ReplicaSet, and no other is made.
        #expect(replicaSets().count == 1)
        #expect(adopted.annotations[DeploymentKeys.revision] == "1")
    }

    @Test func deadlinePassesWithoutProgress() async throws {
        try seedDeployment(F.deployment(progressDeadlineSeconds: 60))
        try await runSync()
        try await settle(available: [replicaSets()[0].name: 0])
        try await runSync()
        let later = DeploymentSync(client: fake, now: { [clock] in clock.addingTimeInterval(120) })
        _ = try await later.sync(deployment: deployment(), replicaSets: fake.objects(.replicaSets, namespace: "default"), pods: [])
        let progressing = DeploymentObject(deployment()).status.condition("Progressing")
        #expect(progressing?.status == "False")
        #expect(progressing?.reason == "ProgressDeadlineExceeded")
    }
}
