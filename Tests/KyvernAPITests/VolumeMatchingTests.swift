import KyvernAPI
import Testing

@Suite struct VolumeMatchingTests {
    func claim(size: String = "1Gi", storageClass: String = "manual", modes: [String] = ["ReadWriteOnce"],
               selector: JSONValue? = nil, volumeMode: String? = nil) -> JSONValue {
        var spec: JSONValue = ["accessModes": .array(modes.map(JSONValue.string)), "storageClassName": .string(storageClass),
                               "resources": ["requests": ["storage": .string(size)]]]
        if let selector { spec["selector"] = selector }
        if let volumeMode { spec["volumeMode"] = .string(volumeMode) }
        return ["metadata": ["name": "data", "namespace": "default", "uid": "u-1"], "spec": spec]
    }

    func volume(_ name: String, size: String = "1Gi", storageClass: String = "manual", modes: [String] = ["ReadWriteOnce"],
                phase: String = "Available", labels: [String: String] = [:], claimRef: JSONValue? = nil, node: String? = nil) -> JSONValue {
        var spec: JSONValue = ["capacity": ["storage": .string(size)], "accessModes": .array(modes.map(JSONValue.string)),
                               "storageClassName": .string(storageClass)]
        if let claimRef { spec["claimRef"] = claimRef }
        if let node {
            spec["nodeAffinity"] = ["required": ["nodeSelectorTerms": [["matchExpressions": [
                ["key": "kubernetes.io/hostname", "operator": "In", "values": [.string(node)]]]]]]]
        }
        return ["metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))],
                "spec": spec, "status": ["phase": .string(phase)]]
    }

    func best(_ claim: JSONValue, _ volumes: [JSONValue], node: String? = nil, delay: Bool = false) -> String? {
        let node = node.map { VolumeMatching.Node(name: $0, labels: ["kubernetes.io/hostname": $0]) }
        return VolumeMatching.bestMatch(for: claim, among: volumes, node: node, delayBinding: delay)?.name
    }

    @Test func choosesTheSmallestVolumeThatFits() {
        #expect(best(claim(size: "2Gi"), [volume("a", size: "10Gi"), volume("b", size: "3Gi"), volume("c", size: "1Gi")]) == "b")
    }

    @Test func skipsVolumesOfAnotherClassModeOrPhaseOrTakenOnes() {
        let volumes = [volume("class", storageClass: "fast"), volume("mode", modes: ["ReadOnlyMany"]),
                       volume("released", phase: "Released"), volume("taken", claimRef: ["namespace": "x", "name": "y", "uid": "z"])]
        #expect(best(claim(), volumes) == nil)
        #expect(best(claim(modes: ["ReadWriteOnce", "ReadOnlyMany"]), [volume("both", modes: ["ReadOnlyMany", "ReadWriteOnce"])]) == "both")
    }

    @Test func volumeModesMustAgreeWithFilesystemAsDefault() {
        #expect(best(claim(volumeMode: "Block"), [volume("fs")]) == nil)
        #expect(best(claim(volumeMode: "Filesystem"), [volume("fs")]) == "fs")
    }

    @Test func theClaimsSelectorFiltersByLabels() {
        let selector: JSONValue = ["matchLabels": ["disk": "ssd"]]
        #expect(best(claim(selector: selector), [volume("hdd", labels: ["disk": "hdd"]), volume("ssd", size: "5Gi", labels: ["disk": "ssd"])]) == "ssd")
    }

    @Test func aPreBoundVolumeWinsEvenWhenBiggerAndEvenWhenBindingIsDelayed() {
        let mine = volume("mine", size: "50Gi", phase: "Available", claimRef: ["namespace": "default", "name": "data"])
        #expect(best(claim(), [volume("free"), mine]) == "mine")
        #expect(best(claim(), [volume("free"), mine], delay: true) == "mine")
        #expect(best(claim(), [volume("free")], delay: true) == nil)
        let someoneElses = volume("other", claimRef: ["namespace": "default", "name": "data", "uid": "u-2"])
        #expect(best(claim(), [someoneElses]) == nil)
    }

    @Test func nodeAffinityLimitsVolumesToTheirNode() {
        let volumes = [volume("on-a", node: "a"), volume("on-b", size: "2Gi", node: "b")]
        #expect(best(claim(), volumes, node: "b") == "on-b")
        #expect(best(claim(), volumes, node: "c") == nil)
        #expect(VolumeMatching.pinnedNode(volumes[0]) == "a")
        #expect(VolumeMatching.nodeAffinityAllows(volume("anywhere"), node: .init(name: "z", labels: [:])))
    }

    @Test func theBetaAnnotationNamesTheClassFirst() {
        var annotated = claim(storageClass: "spec-class")
        annotated[path: ["metadata", "annotations"]] = [StorageAnnotations.betaStorageClass: "beta-class"]
        #expect(VolumeMatching.storageClass(ofClaim: annotated) == "beta-class")
    }
}
