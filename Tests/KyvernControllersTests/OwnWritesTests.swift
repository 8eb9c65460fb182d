import KyvernAPI
import KyvernClient
import Testing
@testable import KyvernControllers

/// A controller's own writes shown in place of its informer's older copies, until it catches up.
@Suite struct OwnWritesTests {
    func claim(_ name: String, version: String, uid: String = "u1", phase: String = "Pending") -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": "default", "uid": .string(uid), "resourceVersion": .string(version)],
         "status": ["phase": .string(phase)]]
    }

    @Test func aNewerWriteIsShownInsteadOfTheCachedCopy() async {
        let writes = OwnWrites()
        let cache = writes.cache(StaticCache(objects: [claim("a", version: "5"), claim("b", version: "6")]), of: .persistentVolumeClaims)
        writes.remember(claim("a", version: "9", phase: "Bound"), of: .persistentVolumeClaims)
        #expect(await cache.get(namespace: "default", name: "a")?[path: ["status", "phase"]] == "Bound")
        #expect(await cache.list(namespace: nil).map { $0.resourceVersion ?? "" } == ["9", "6"])
        // Another resource's cache is not affected by a claim's write.
        let volumes = writes.cache(StaticCache(objects: [claim("a", version: "5")]), of: .persistentVolumes)
        #expect(await volumes.get(namespace: "default", name: "a")?.resourceVersion == "5")
    }

    @Test func theWriteIsForgottenOnceTheCacheShowsItOrLater() async {
        let writes = OwnWrites()
        writes.remember(claim("a", version: "9", phase: "Bound"), of: .persistentVolumeClaims)
        let caughtUp = writes.cache(StaticCache(objects: [claim("a", version: "11", phase: "Lost")]), of: .persistentVolumeClaims)
        #expect(await caughtUp.get(namespace: "default", name: "a")?[path: ["status", "phase"]] == "Lost")
        #expect(writes.count == 0)
    }

    @Test func anObjectGoneFromTheCacheIsGone() async {
        let writes = OwnWrites()
        writes.remember(claim("a", version: "9"), of: .persistentVolumeClaims)
        let cache = writes.cache(StaticCache(objects: []), of: .persistentVolumeClaims)
        #expect(await cache.get(namespace: "default", name: "a") == nil)
        #expect(writes.count == 0)
    }

    @Test func anObjectRecreatedUnderTheNameIsNotReplacedByTheOldOne() async {
        let writes = OwnWrites()
        writes.remember(claim("a", version: "9", uid: "old"), of: .persistentVolumeClaims)
        let cache = writes.cache(StaticCache(objects: [claim("a", version: "3", uid: "new")]), of: .persistentVolumeClaims)
        #expect(await cache.get(namespace: "default", name: "a")?.uid == "new")
    }
}
