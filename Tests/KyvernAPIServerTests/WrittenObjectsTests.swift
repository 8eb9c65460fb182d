import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("Objects handed from a write to the cache feeder")
struct WrittenObjectsTests {
    typealias T = WatchCacheTests

    func written(_ name: String, rev: Int64, extra: JSONValue? = nil) -> CachedObject {
        var object = try! JSONValue.parse(T.value("ns", name))
        if let extra { object["extra"] = extra }
        object[path: ["metadata", "resourceVersion"]] = .string(String(rev))
        return CachedObject(key: T.key("ns", name), object: object, bytes: object.serialized(), modRevision: rev)
    }

    @Test func aWrittenObjectIsUsedForItsOwnKeyAndRevisionOnlyAndEqualsADecode() throws {
        let handoff = WrittenObjects()
        let mine = written("a", rev: 5)
        handoff.add(mine)
        // another key at the same revision (impossible in one store, but never trusted) is decoded
        let other = WatchCache.decode([T.put("ns", "b", rev: 5)], written: handoff)
        #expect(other[0].object?.object[path: ["metadata", "name"]] == "b")
        handoff.add(mine)
        let decoded = WatchCache.decode([T.put("ns", "a", rev: 5)], written: handoff)
        let fresh = try CachedObject.decode(key: T.key("ns", "a"), value: T.value("ns", "a"), revision: 5)
        #expect(decoded[0].object?.object == fresh.object)
        #expect(decoded[0].object?.bytes == fresh.bytes)
        #expect(handoff.count == 0, "taken once")
    }

    @Test func entriesThePassedFeederSkippedAreForgotten() {
        let handoff = WrittenObjects()
        handoff.add(written("a", rev: 3))
        handoff.add(written("b", rev: 9))
        _ = WatchCache.decode([T.put("ns", "c", rev: 4)], written: handoff)
        #expect(handoff.count == 1)
        #expect(handoff.take(key: T.key("ns", "b"), revision: 9) != nil)
    }

    @Test func anObjectThatEncodingWouldChangeIsNotHandedOver() {
        let handoff = WrittenObjects()
        handoff.add(written("a", rev: 3, extra: .double(2.0)))  // stored as 2, read back as an integer
        handoff.add(written("b", rev: 4, extra: .double(2.5)))
        #expect(handoff.count == 1)
        #expect(handoff.take(key: T.key("ns", "b"), revision: 4) != nil)
        #expect(JSONValue.array([.int(1), .object(["x": .double(1e300 * 10)])]).readsBackUnchanged == false)
    }
}
