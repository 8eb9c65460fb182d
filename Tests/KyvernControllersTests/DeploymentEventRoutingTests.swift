import KyvernAPI
import KyvernClient
import Testing
@testable import KyvernControllers

@Suite struct DeploymentEventRoutingTests {
    typealias F = DeploymentFixtures
    let web = F.deployment().object
    var other: JSONValue {
        var d = F.deployment(name: "api").object
        d.uid = "api-uid"
        d[path: ["spec", "selector"]] = ["matchLabels": ["app": "api"]]
        return d
    }

    @Test func ownedReplicaSetEventsGoToTheirDeployment() {
        let rs = F.replicaSet("web-abc", replicas: 3).object
        #expect(DeploymentEventRouting.keys(forReplicaSet: .added(rs), deployments: [web, other]) == ["default/web"])
        #expect(DeploymentEventRouting.keys(forReplicaSet: .deleted(rs), deployments: [web, other]) == ["default/web"])
        var changed = rs
        changed.resourceVersion = "9"
        #expect(DeploymentEventRouting.keys(forReplicaSet: .updated(old: rs, new: changed), deployments: [web]) == ["default/web"])
        // A controller reference to a Deployment of another uid (recreated) is nobody's.
        var stale = rs
        stale.ownerReferences = [["apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "old", "controller": true]]
        #expect(DeploymentEventRouting.keys(forReplicaSet: .added(stale), deployments: [web]).isEmpty)
    }

    @Test func orphansGoToEveryDeploymentSelectingThem() {
        var orphan = F.replicaSet("web-orphan", replicas: 1).object
        orphan.ownerReferences = []
        orphan.labels = ["app": "web"]
        #expect(DeploymentEventRouting.keys(forReplicaSet: .added(orphan), deployments: [web, other]) == ["default/web"])
        var relabeled = orphan
        relabeled.labels = ["app": "api"]
        relabeled.resourceVersion = "5"
        #expect(DeploymentEventRouting.keys(forReplicaSet: .updated(old: orphan, new: relabeled), deployments: [web, other])
            == ["default/api"])
    }

    @Test func releasedReplicaSetWakesItsFormerOwner() {
        let owned = F.replicaSet("web-abc", replicas: 1).object
        var released = owned
        released.ownerReferences = []
        released.labels = ["app": "other"]
        released.resourceVersion = "7"
        #expect(DeploymentEventRouting.keys(forReplicaSet: .updated(old: owned, new: released), deployments: [web])
            == ["default/web"])
    }

    @Test func deletedPodWakesOnlyRecreateDeployments() {
        let rs = F.replicaSet("web-abc", replicas: 1).object
        let pod: JSONValue = ["metadata": ["name": "web-abc-x", "namespace": "default",
                                           "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                                                "uid": "web-abc-uid", "controller": true]]]]
        #expect(DeploymentEventRouting.keyForDeletedPod(pod, replicaSets: [rs], deployments: [web]) == nil)
        let recreate = F.deployment(strategy: "Recreate").object
        #expect(DeploymentEventRouting.keyForDeletedPod(pod, replicaSets: [rs], deployments: [recreate]) == "default/web")
    }
}
