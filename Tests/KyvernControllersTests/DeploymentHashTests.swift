import KyvernAPI
import Testing
@testable import KyvernControllers

@Suite struct DeploymentHashTests {
    @Test func fnvMatchesReferenceValues() {
        var empty = FNV32a()
        empty.write([])
        #expect(empty.value == 2_166_136_261)
        var a = FNV32a()
        a.write(Array("a".utf8))
        #expect(a.value == 0xE40C_292C)
    }

    @Test func safeEncodingUsesTheVowelFreeAlphabet() {
        #expect(PodTemplateHash.safeEncode("0123456789") == "456789bcdf")
    }

    @Test func hashIsStableAndIgnoresKeyOrderAndHashLabel() {
        let t = DeploymentFixtures.template()
        let hash = PodTemplateHash.compute(template: t, collisionCount: nil)
        #expect(!hash.isEmpty && hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        var reordered: JSONValue = ["spec": t["spec"]!, "metadata": t["metadata"]!]
        reordered[path: ["metadata", "creationTimestamp"]] = .null
        #expect(PodTemplateHash.compute(template: reordered, collisionCount: nil) == hash)
    }

    @Test func hashChangesWithTemplateAndCollisionCount() {
        let t = DeploymentFixtures.template()
        let base = PodTemplateHash.compute(template: t, collisionCount: nil)
        #expect(PodTemplateHash.compute(template: DeploymentFixtures.template(image: "nginx:1.28"), collisionCount: nil) != base)
        let one = PodTemplateHash.compute(template: t, collisionCount: 1)
        #expect(one != base)
        #expect(PodTemplateHash.compute(template: t, collisionCount: 2) != one)
    }

    @Test func templatesEqualIgnoringHashLabelAndEmptyFields() {
        var withHash = DeploymentFixtures.template()
        withHash[path: ["metadata", "labels", "pod-template-hash"]] = "abc"
        withHash[path: ["spec", "volumes"]] = []
        #expect(TemplateEquality.equalIgnoringHash(withHash, DeploymentFixtures.template()))
        #expect(!TemplateEquality.equalIgnoringHash(withHash, DeploymentFixtures.template(image: "nginx:1.28")))
        #expect(!TemplateEquality.equalIgnoringHash(withHash, DeploymentFixtures.template(labels: ["app": "web", "x": "y"])))
    }
}
