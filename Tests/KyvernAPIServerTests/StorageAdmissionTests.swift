import KyvernAPI
import Testing
@testable import KyvernAPIServer

@Suite struct StorageAdmissionTests {
    func storageClass(_ name: String, isDefault: Bool, created: String = "2026-01-01T00:00:00Z", expansion: Bool = false) -> JSONValue {
        var object: JSONValue = ["metadata": ["name": .string(name), "creationTimestamp": .string(created)],
                                 "provisioner": "kyvern.io/local-path", "allowVolumeExpansion": .bool(expansion)]
        if isDefault { object[path: ["metadata", "annotations"]] = [StorageAnnotations.isDefaultClass: "true"] }
        return object
    }

    func claim(storageClass: JSONValue? = nil, size: String = "1Gi", volumeName: String? = nil) -> JSONValue {
        var claim: JSONValue = ["metadata": ["name": "data", "namespace": "default"],
                                "spec": ["resources": ["requests": ["storage": .string(size)]]]]
        if let storageClass { claim[path: ["spec", "storageClassName"]] = storageClass }
        if let volumeName { claim[path: ["spec", "volumeName"]] = .string(volumeName) }
        return claim
    }

    @Test func aClaimWithoutAClassGetsTheDefaultAndItsFinalizer() {
        var object = claim()
        StorageAdmission.admitCreate(&object, resource: "persistentvolumeclaims",
                                     classes: [storageClass("slow", isDefault: false), storageClass("local-path", isDefault: true)])
        #expect(object[path: ["spec", "storageClassName"]] == "local-path")
        #expect(object.finalizers == [StorageAnnotations.claimProtection])
    }

    @Test func anEmptyClassMeansNoClassAndIsKept() {
        var object = claim(storageClass: "")
        StorageAdmission.admitCreate(&object, resource: "persistentvolumeclaims", classes: [storageClass("local-path", isDefault: true)])
        #expect(object[path: ["spec", "storageClassName"]] == "")
    }

    @Test func withoutADefaultClassNothingIsFilledIn() {
        var object = claim()
        StorageAdmission.admitCreate(&object, resource: "persistentvolumeclaims", classes: [storageClass("slow", isDefault: false)])
        #expect(object[path: ["spec", "storageClassName"]] == nil)
    }

    @Test func ofSeveralDefaultsTheNewestWins() {
        let classes = [storageClass("old", isDefault: true, created: "2026-01-01T00:00:00Z"),
                       storageClass("new", isDefault: true, created: "2026-02-01T00:00:00Z")]
        #expect(StorageAdmission.defaultClass(among: classes) == "new")
    }

    @Test func aVolumeGetsItsProtectionFinalizerOnce() {
        var volume: JSONValue = ["metadata": ["name": "pv1", "finalizers": [.string(StorageAnnotations.volumeProtection)]]]
        StorageAdmission.admitCreate(&volume, resource: "persistentvolumes", classes: [])
        #expect(volume.finalizers == [StorageAnnotations.volumeProtection])
    }

    @Test func growingAClaimNeedsAClassThatAllowsExpansion() {
        let old = claim(storageClass: "fixed", size: "1Gi", volumeName: "pv1")
        let new = claim(storageClass: "fixed", size: "2Gi", volumeName: "pv1")
        let refusal = StorageAdmission.resizeRefusal(new: new, old: old, classes: [storageClass("fixed", isDefault: false)])
        #expect(refusal?.code == 403)
        #expect(refusal?.message == "persistentvolumeclaims \"data\" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize")
        #expect(StorageAdmission.resizeRefusal(new: new, old: old, classes: [storageClass("fixed", isDefault: false, expansion: true)]) == nil)
        #expect(StorageAdmission.resizeRefusal(new: old, old: old, classes: []) == nil)
    }
}
