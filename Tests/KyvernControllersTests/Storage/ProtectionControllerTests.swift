import KyvernAPI
import KyvernClient
import KyvernTestSupport
import Logging
import Testing
@testable import KyvernControllers

@Suite struct ProtectionControllerTests {
    let client = FakeClient()

    func pod(_ name: String, claim: String, phase: String = "Running") -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["volumes": [["name": "v", "persistentVolumeClaim": ["claimName": .string(claim)]]]],
         "status": ["phase": .string(phase)]]
    }

    func claimController() -> ClaimProtectionController {
        ClaimProtectionController(client: client, claims: StaticCache(objects: client.objects(.persistentVolumeClaims)),
                                  pods: StaticCache(objects: client.objects(.pods)), logger: Logger(label: "test"))
    }

    @Test func aNewClaimGetsItsFinalizer() async throws {
        try client.seed(.persistentVolumeClaims, StorageFixtures.claim("data"))
        try await claimController().reconcile(ObjectKey(namespace: "default", name: "data"))
        #expect(client.object(.persistentVolumeClaims, namespace: "default", name: "data")?.finalizers == [StorageAnnotations.claimProtection])
    }

    @Test func aDeletedClaimStaysWhileARunningPodUsesIt() async throws {
        var claim = StorageFixtures.claim("data")
        claim[path: ["metadata", "finalizers"]] = [.string(StorageAnnotations.claimProtection)]
        try client.seed(.persistentVolumeClaims, claim)
        _ = try await client.delete(.persistentVolumeClaims, namespace: "default", name: "data")
        try client.seed(.pods, pod("user", claim: "data"))
        try await claimController().reconcile(ObjectKey(namespace: "default", name: "data"))
        let kept = client.object(.persistentVolumeClaims, namespace: "default", name: "data")
        #expect(kept?.deletionTimestamp != nil && kept?.finalizers == [StorageAnnotations.claimProtection])
    }

    @Test func aDeletedClaimGoesOnceItsPodsFinished() async throws {
        var claim = StorageFixtures.claim("data")
        claim[path: ["metadata", "finalizers"]] = [.string(StorageAnnotations.claimProtection)]
        try client.seed(.persistentVolumeClaims, claim)
        _ = try await client.delete(.persistentVolumeClaims, namespace: "default", name: "data")
        try client.seed(.pods, pod("done", claim: "data", phase: "Succeeded"), pod("other", claim: "else"))
        try await claimController().reconcile(ObjectKey(namespace: "default", name: "data"))
        let remaining = client.object(.persistentVolumeClaims, namespace: "default", name: "data")
        #expect(remaining == nil || remaining?.finalizers == [])
    }

    @Test func ephemeralVolumesNameTheirGeneratedClaim() {
        let pod: JSONValue = ["metadata": ["name": "web", "namespace": "default"],
                              "spec": ["volumes": [["name": "scratch", "ephemeral": ["volumeClaimTemplate": [:]]]]]]
        #expect(ClaimProtectionController.claimNames(of: pod) == ["web-scratch"])
    }

    @Test func aDeletedVolumeStaysWhileBound() async throws {
        var volume = StorageFixtures.volume("pv1", phase: "Bound")
        volume[path: ["metadata", "finalizers"]] = [.string(StorageAnnotations.volumeProtection)]
        try client.seed(.persistentVolumes, volume)
        _ = try await client.delete(.persistentVolumes, name: "pv1")
        let controller = VolumeProtectionController(client: client, volumes: StaticCache(objects: client.objects(.persistentVolumes)),
                                                    logger: Logger(label: "test"))
        try await controller.reconcile(ObjectKey(namespace: nil, name: "pv1"))
        #expect(client.object(.persistentVolumes, name: "pv1")?.finalizers == [StorageAnnotations.volumeProtection])
        var released = client.object(.persistentVolumes, name: "pv1")!
        released[path: ["status", "phase"]] = "Released"
        _ = try await client.updateStatus(.persistentVolumes, released)
        let again = VolumeProtectionController(client: client, volumes: StaticCache(objects: client.objects(.persistentVolumes)),
                                               logger: Logger(label: "test"))
        try await again.reconcile(ObjectKey(namespace: nil, name: "pv1"))
        let remaining = client.object(.persistentVolumes, name: "pv1")
        #expect(remaining == nil || remaining?.finalizers == [])
    }
}
