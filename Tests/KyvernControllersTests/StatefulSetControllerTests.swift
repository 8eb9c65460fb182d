import Foundation
import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct StatefulSetControllerTests {
    static let now = Timestamp.parse("2026-01-01T01:00:00Z")!
    let key = ObjectKey(namespace: "default", name: "web")
    let client = FakeClient()

    static func statefulSet(replicas: Int64 = 3, policy: String = "OrderedReady", image: String = "nginx:1",
                            partition: Int64 = 0, retention: (String, String) = ("Retain", "Retain")) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "StatefulSet",
         "metadata": ["name": "web", "namespace": "default", "uid": "sts-uid", "generation": 1, "resourceVersion": "1"],
         "spec": ["replicas": .int(replicas), "serviceName": "web", "podManagementPolicy": .string(policy),
                  "selector": ["matchLabels": ["app": "web"]],
                  "template": ["metadata": ["labels": ["app": "web"]],
                               "spec": ["containers": [["name": "c", "image": .string(image)]]]],
                  "volumeClaimTemplates": [["metadata": ["name": "www"],
                                            "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]],
                  "updateStrategy": ["type": "RollingUpdate", "rollingUpdate": ["partition": .int(partition), "maxUnavailable": 1]],
                  "persistentVolumeClaimRetentionPolicy": ["whenDeleted": .string(retention.0), "whenScaled": .string(retention.1)],
                  "revisionHistoryLimit": 10]]
    }

    func controller() -> StatefulSetController {
        StatefulSetController(client: client, sets: StaticCache(objects: client.objects(.statefulSets)),
                              pods: StaticCache(objects: client.objects(.pods)),
                              claims: StaticCache(objects: client.objects(.persistentVolumeClaims)),
                              revisions: StaticCache(objects: client.objects(.controllerRevisions)),
                              queue: nil, logger: Logger(label: "test"), now: { Self.now })
    }

    /// Every pod of the fake API becomes Running and Ready, as a node would make it.
    func makeAllReady() async throws {
        for pod in client.objects(.pods) where pod[path: ["status", "phase"]]?.stringValue != "Running" {
            var ready = pod
            ready["status"] = ["phase": "Running", "conditions": [["type": "Ready", "status": "True",
                                                                  "lastTransitionTime": "2026-01-01T00:00:00Z"]]]
            _ = try await client.updateStatus(.pods, namespace: "default", ready)
        }
    }

    func podNames() -> [String] {
        client.objects(.pods, namespace: "default").filter { $0.deletionTimestamp == nil }.compactMap(\.name).sorted()
    }

    @Test func orderedReadyCreatesOneOrdinalAtATimeWithItsClaim() async throws {
        _ = try client.seed(.statefulSets, Self.statefulSet())
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0"])
        let revision = try #require(client.objects(.controllerRevisions).first)
        let pod = try #require(client.object(.pods, namespace: "default", name: "web-0"))
        #expect(pod.labels == ["app": "web", "statefulset.kubernetes.io/pod-name": "web-0",
                               "apps.kubernetes.io/pod-index": "0", "controller-revision-hash": revision.name ?? ""])
        #expect(pod.generateName == "web-")
        #expect(pod[path: ["spec", "hostname"]] == "web-0")
        #expect(pod[path: ["spec", "subdomain"]] == "web")
        #expect(pod[path: ["spec", "volumes"]] == [["name": "www", "persistentVolumeClaim": ["claimName": "www-web-0"]]])
        let claim = try #require(client.object(.persistentVolumeClaims, namespace: "default", name: "www-web-0"))
        #expect(claim.labels == ["app": "web"])
        #expect(claim.ownerReferences.isEmpty)

        // web-0 is not ready yet: nothing more happens.
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0"])
        try await makeAllReady()
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0", "web-1"])
        try await makeAllReady()
        try await controller().reconcile(key)
        try await makeAllReady()
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0", "web-1", "web-2"])
        let status = try #require(client.object(.statefulSets, namespace: "default", name: "web")?["status"])
        #expect(status == ["replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 3,
                           "updatedReplicas": 3, "currentRevision": .string(revision.name ?? ""),
                           "updateRevision": .string(revision.name ?? ""), "collisionCount": 0, "observedGeneration": 1])
        #expect(client.objects(.persistentVolumeClaims).compactMap(\.name).sorted() == ["www-web-0", "www-web-1", "www-web-2"])
    }

    @Test func parallelCreatesEveryOrdinalAtOnce() async throws {
        _ = try client.seed(.statefulSets, Self.statefulSet(policy: "Parallel"))
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0", "web-1", "web-2"])
    }

    @Test func scaleDownRemovesTheHighestOrdinalFirstAndKeepsClaims() async throws {
        _ = try client.seed(.statefulSets, Self.statefulSet(policy: "Parallel"))
        try await controller().reconcile(key)
        try await makeAllReady()
        var set = try #require(client.object(.statefulSets, namespace: "default", name: "web"))
        set[path: ["spec", "replicas"]] = 1
        set[path: ["spec", "podManagementPolicy"]] = "OrderedReady"
        _ = try await client.update(.statefulSets, namespace: "default", set)
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0", "web-1"])
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0"])
        #expect(client.objects(.persistentVolumeClaims).count == 3)
    }

    @Test func aFailedPodIsDeletedAndComesBackUnderItsName() async throws {
        _ = try client.seed(.statefulSets, Self.statefulSet(replicas: 1))
        try await controller().reconcile(key)
        var pod = try #require(client.object(.pods, namespace: "default", name: "web-0"))
        pod["status"] = ["phase": "Failed"]
        _ = try await client.updateStatus(.pods, namespace: "default", pod)
        try await controller().reconcile(key)
        #expect(podNames() == [])
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0"])
    }

    @Test func rollingUpdateReplacesFromTheHighestOrdinalDownToThePartition() async throws {
        _ = try client.seed(.statefulSets, Self.statefulSet(policy: "Parallel", partition: 1))
        try await controller().reconcile(key)
        try await makeAllReady()
        try await controller().reconcile(key)
        let first = try #require(client.objects(.controllerRevisions).first?.name)
        var set = try #require(client.object(.statefulSets, namespace: "default", name: "web"))
        set[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": "nginx:2"]]
        _ = try await client.update(.statefulSets, namespace: "default", set)
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0", "web-1"])
        try await controller().reconcile(key)
        let web2 = try #require(client.object(.pods, namespace: "default", name: "web-2"))
        #expect(web2[path: ["spec", "containers"]]?.arrayValue?.first?["image"] == "nginx:2")
        #expect(web2.labels["controller-revision-hash"] != first)
        try await makeAllReady()
        try await controller().reconcile(key)
        // web-1 is at the partition: it moves; web-0 stays.
        #expect(podNames() == ["web-0", "web-2"])
        try await controller().reconcile(key)
        try await makeAllReady()
        try await controller().reconcile(key)
        #expect(podNames() == ["web-0", "web-1", "web-2"])
        let status = try #require(client.object(.statefulSets, namespace: "default", name: "web")?["status"])
        #expect(status["currentRevision"] == .string(first))
        #expect(status["updatedReplicas"] == 2)
        #expect(status["currentReplicas"] == 1)
        #expect(client.object(.pods, namespace: "default", name: "web-0")?.labels["controller-revision-hash"] == first)
    }

    @Test func retentionPolicyOwnsClaimsBySetOrScaledDownPod() {
        let claim: JSONValue = ["metadata": ["name": "www-web-0", "namespace": "default"]]
        let pod = Pods.pod("web-4", uid: "pod-uid")
        let inRange = Pods.pod("web-0", uid: "pod0-uid")
        let retain = Self.statefulSet()
        #expect(StatefulSetClaims.ownerReferences(claim: claim, set: retain, pod: inRange).isEmpty)
        let deleteOnDelete = Self.statefulSet(retention: ("Delete", "Retain"))
        #expect(StatefulSetClaims.ownerReferences(claim: claim, set: deleteOnDelete, pod: inRange)
                == [["apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "sts-uid"]])
        let deleteOnScale = Self.statefulSet(retention: ("Retain", "Delete"))
        #expect(StatefulSetClaims.ownerReferences(claim: claim, set: deleteOnScale, pod: inRange).isEmpty)
        #expect(StatefulSetClaims.ownerReferences(claim: claim, set: deleteOnScale, pod: pod)
                == [["apiVersion": "v1", "kind": "Pod", "name": "web-4", "uid": "pod-uid"]])
        let both = Self.statefulSet(retention: ("Delete", "Delete"))
        #expect(StatefulSetClaims.ownerReferences(claim: claim, set: both, pod: pod)
                == [["apiVersion": "v1", "kind": "Pod", "name": "web-4", "uid": "pod-uid"]])
    }

    @Test func podNamesEncodeParentAndOrdinal() {
        #expect(StatefulPodIdentity.parentAndOrdinal("web-12")! == ("web", 12))
        #expect(StatefulPodIdentity.parentAndOrdinal("my-web-0")! == ("my-web", 0))
        #expect(StatefulPodIdentity.parentAndOrdinal("web-x") == nil)
        #expect(StatefulPodIdentity.parentAndOrdinal("web") == nil)
    }
}
