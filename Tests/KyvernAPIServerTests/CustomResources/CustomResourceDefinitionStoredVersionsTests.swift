import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("CustomResourceDefinitionStoredVersions")
struct CustomResourceDefinitionStoredVersionsTests {
    func crd(storage: String, stored: [JSONValue]?) -> JSONValue {
        var crd = CustomResourceFixtures.definition(versions: [
            CustomResourceFixtures.version("v1", storage: storage == "v1"),
            CustomResourceFixtures.version("v2", storage: storage == "v2"),
        ], established: false)
        if let stored { crd["status"] = ["storedVersions": .array(stored)] }
        return crd
    }

    @Test func aCreateStartsTheListWithTheStorageVersion() {
        var created = crd(storage: "v2", stored: nil)
        CustomResourceDefinitionStoredVersions.record(&created)
        #expect(created[path: ["status", "storedVersions"]] == ["v2"])
    }

    @Test func movingStorageAppendsTheNewVersionOnce() {
        var moved = crd(storage: "v1", stored: ["v2"])
        CustomResourceDefinitionStoredVersions.record(&moved)
        #expect(moved[path: ["status", "storedVersions"]] == ["v2", "v1"])
        CustomResourceDefinitionStoredVersions.record(&moved)
        #expect(moved[path: ["status", "storedVersions"]] == ["v2", "v1"])
        #expect(CustomResourceDefinitionValidation.validate(moved, old: nil)
            .allSatisfy { !$0.field.hasPrefix("status.storedVersions") })
    }
}
