import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("EventValidation")
struct EventValidationTests {
    /// A valid events.k8s.io/v1 event in its stored (core/v1) shape.
    var event: JSONValue {
        [
            "apiVersion": "v1", "kind": "Event", "metadata": ["name": "e", "namespace": "ns"],
            "eventTime": "2026-01-01T00:00:00.000000Z", "reportingComponent": "kyvern.io/sched",
            "reportingInstance": "sched-1", "action": "Bind", "reason": "Scheduled", "message": "ok", "type": "Normal",
            "involvedObject": ["kind": "Pod", "namespace": "ns", "name": "p", "uid": "u"], "source": [:],
        ]
    }

    @Test func aCompleteEventIsValid() {
        #expect(EventValidation.validateCreate(event, namespace: "ns").isEmpty)
    }

    @Test func newEventsNeedTheReportingFieldsAndNoDeprecatedOnes() {
        var bad = event
        bad["reportingComponent"] = "bad controller"
        bad["reportingInstance"] = .string(String(repeating: "i", count: 129))
        bad["action"] = nil
        bad["lastTimestamp"] = "2026-01-01T00:00:00Z"
        bad["source"] = ["host": "h"]
        bad["series"] = ["count": 3]
        let causes = EventValidation.validateCreate(bad, namespace: "ns")
        #expect(causes.map(\.field) == ["reportingController", "reportingInstance", "action",
                                        "series.lastObservedTime", "lastTimestamp", "source"])
        #expect(causes[1].message == "Invalid value: \"\": can have at most 128 characters")
        #expect(causes[4].message == "Invalid value: \"\": needs to be unset")
    }

    @Test func eventTimeIsRequiredAndTheNamespaceMustMatch() {
        var old = event
        old["eventTime"] = nil
        old["involvedObject"] = ["kind": "Pod", "namespace": "other", "name": "p"]
        let causes = EventValidation.validateCreate(old, namespace: "ns")
        #expect(causes == [
            .init(type: "FieldValueInvalid", message: "Invalid value: \"other\": does not match event.namespace",
                  field: "involvedObject.namespace"),
            .init(type: "FieldValueRequired", message: "Required value", field: "eventTime"),
        ])
        // Cluster-scoped objects' events live in default (or kube-system).
        var node = event
        node["involvedObject"] = ["kind": "Node", "name": "n1"]
        #expect(EventValidation.validateCreate(node, namespace: "default").isEmpty)
        #expect(EventValidation.validateCreate(node, namespace: "ns").map(\.field) == ["involvedObject.namespace"])
    }

    @Test func onlySeriesAndMetadataMayChange() {
        var updated = event
        updated["series"] = ["count": 2, "lastObservedTime": "2026-01-01T00:00:05.000000Z"]
        updated[path: ["metadata", "labels"]] = ["a": "b"]
        #expect(EventValidation.validateUpdate(updated, old: event, namespace: "ns").isEmpty)

        updated["message"] = "changed"
        updated["count"] = 4
        updated["eventTime"] = "2026-01-01T00:00:01.5Z"
        updated["related"] = ["kind": "Node", "name": "n"]
        updated["reportingComponent"] = "other"
        #expect(EventValidation.validateUpdate(updated, old: event, namespace: "ns") == [
            .init(type: "FieldValueInvalid", message: "Invalid value: \"changed\": field is immutable", field: "message"),
            .init(type: "FieldValueInvalid", message: "Invalid value: 4: field is immutable", field: "count"),
            .init(type: "FieldValueInvalid", message: "Invalid value: 2026-01-01 00:00:01.5 +0000 UTC: field is immutable",
                  field: "eventTime"),
            .init(type: "FieldValueInvalid",
                  message: "Invalid value: core.ObjectReference{Kind:\"Node\", Namespace:\"\", Name:\"n\", UID:\"\", APIVersion:\"\", ResourceVersion:\"\", FieldPath:\"\"}: field is immutable",
                  field: "related"),
            .init(type: "FieldValueInvalid", message: "Invalid value: \"other\": field is immutable", field: "reportingController"),
        ])
    }

    @Test func coreRequestsNameTheReportingComponent() {
        var event = event
        event["reportingComponent"] = ""
        #expect(EventValidation.legacy(event, namespace: "ns", controllerField: "reportingComponent").map(\.field)
            == ["reportingComponent", "reportingComponent", "reportingComponent"])
        // An old-style event (no eventTime) needs none of the reporting fields.
        event["eventTime"] = nil
        event["action"] = nil
        #expect(EventValidation.legacy(event, namespace: "ns", controllerField: "reportingComponent").isEmpty)
    }

    @Test func aSeriesCountsAtLeastTwo() {
        var once = event
        once["series"] = ["count": 1, "lastObservedTime": "2026-01-01T00:00:05.000000Z"]
        #expect(EventValidation.series(once) == [
            .init(type: "FieldValueInvalid", message: "Invalid value: \"\": should be at least 2", field: "series.count"),
        ])
    }
}
