import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("EventConversion")
struct EventConversionTests {
    let reference: JSONValue = ["kind": "Pod", "namespace": "ns", "name": "web", "uid": "u1", "apiVersion": "v1"]

    var eventsV1: JSONValue {
        [
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": ["name": "e", "namespace": "ns", "resourceVersion": "7"],
            "eventTime": "2026-01-01T00:00:00.000001Z", "reportingController": "sched", "reportingInstance": "sched-1",
            "action": "Binding", "reason": "Scheduled", "note": "bound", "type": "Normal",
            "regarding": reference, "related": ["kind": "Node", "name": "n1"],
            "series": ["count": 2, "lastObservedTime": "2026-01-01T00:00:01.000000Z"],
            "deprecatedSource": ["component": "sched", "host": "h"],
            "deprecatedFirstTimestamp": "2026-01-01T00:00:00Z", "deprecatedLastTimestamp": "2026-01-01T00:00:02Z",
            "deprecatedCount": 3,
        ]
    }

    var core: JSONValue {
        [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": "e", "namespace": "ns", "resourceVersion": "7"],
            "eventTime": "2026-01-01T00:00:00.000001Z", "reportingComponent": "sched", "reportingInstance": "sched-1",
            "action": "Binding", "reason": "Scheduled", "message": "bound", "type": "Normal",
            "involvedObject": reference, "related": ["kind": "Node", "name": "n1"],
            "series": ["count": 2, "lastObservedTime": "2026-01-01T00:00:01.000000Z"],
            "source": ["component": "sched", "host": "h"],
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:02Z",
            "count": 3,
        ]
    }

    @Test func everyFieldMapsBothWays() {
        #expect(EventConversion.toCore(eventsV1) == core)
        #expect(EventConversion.toEventsV1(core) == eventsV1)
    }

    @Test func coreEventGetsTheFieldsTheEventsTypeAlwaysWrites() {
        let minimal: JSONValue = ["apiVersion": "v1", "kind": "Event", "metadata": ["name": "e"],
                                  "involvedObject": reference, "message": "m", "reportingComponent": "", "count": 0]
        #expect(EventConversion.toEventsV1(minimal) == [
            "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "e"],
            "regarding": reference, "note": "m", "deprecatedSource": [:], "eventTime": .null,
        ])
    }

    @Test func eventsV1EventGetsTheFieldsTheCoreTypeAlwaysWrites() {
        let minimal: JSONValue = ["apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "e"],
                                  "eventTime": "2026-01-01T00:00:00.000000Z"]
        #expect(EventConversion.toCore(minimal) == [
            "apiVersion": "v1", "kind": "Event", "metadata": ["name": "e"],
            "eventTime": "2026-01-01T00:00:00.000000Z", "involvedObject": [:], "source": [:],
            "reportingComponent": "", "reportingInstance": "",
        ])
    }

    @Test func fieldSelectorsAreRenamed() throws {
        #expect(try EventConversion.coreFieldSelector("regarding.name=web,reportingController!=x,type=Warning")
            == "involvedObject.name=web,reportingComponent!=x,type=Warning")
        #expect(try EventConversion.coreFieldSelector("metadata.name==a") == "metadata.name=a")
        #expect(try EventConversion.coreFieldSelector("") == "")
    }

    @Test func unknownFieldLabelsAreRefused() {
        #expect(throws: APIError.badRequest("field label not supported: involvedObject.name")) {
            try EventConversion.coreFieldSelector("involvedObject.name=web")
        }
        #expect(throws: APIError.badRequest("field label not supported: source")) {
            try EventConversion.coreFieldSelector("source=kubelet")
        }
    }

    @Test func relabelledErrorsNameTheEventsResource() {
        let external = ResourceCatalog.find(group: "events.k8s.io", version: "v1", resource: "events")!
        let notFound = ResourceHandler.relabel(APIError.notFound(group: "", resource: "events", name: "x"), as: external)
        #expect(notFound == APIError.notFound(group: "events.k8s.io", resource: "events", name: "x"))
        let invalid = ResourceHandler.relabel(
            APIError.invalid(group: "", kind: "Event", name: "x",
                             causes: [.init(type: "FieldValueRequired", message: "Required value", field: "involvedObject.name")]),
            as: external)
        #expect(invalid == APIError.invalid(group: "events.k8s.io", kind: "Event", name: "x",
                                            causes: [.init(type: "FieldValueRequired", message: "Required value", field: "involvedObject.name")]))
    }
}
