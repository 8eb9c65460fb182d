import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import Testing

/// Field sets, their FieldsV1 encoding, and the `Update` entries writes record.
@Suite struct ManagedFieldsTests {
    static let schemas = try! SchemaSet.bundled()

    static func manager(_ resource: String, group: String = "", version: String = "v1", subresource: String? = nil,
                        resetsStatus: Bool = false) -> FieldManager {
        let info = ResourceCatalog.find(group: group, version: version, resource: resource)!
        return FieldManager(schemas: schemas, info: info, subresource: subresource, resetsStatus: resetsStatus)
    }

    static func json(_ text: String) -> JSONValue { try! JSONValue.parse(Array(text.utf8)) }

    static func fieldsV1(_ object: JSONValue, _ index: Int = 0) -> String {
        let entry = object[path: ["metadata", "managedFields"]]?.arrayValue?[index] ?? .null
        return String(decoding: (entry["fieldsV1"] ?? .null).serialized(), as: UTF8.self)
    }

    @Test func fieldsV1OfACreatedDeploymentIsUpstreams() {
        let deployment = Self.json("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"n","labels":{"app":"d"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}},
          "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"i",
           "ports":[{"containerPort":80,"protocol":"TCP"}],"args":["a"]}],"volumes":[{"name":"v","emptyDir":{}}]}}},
         "status":{"replicas":5}}
        """)
        let fm = Self.manager("deployments", group: "apps", resetsStatus: true)
        let result = fm.update(old: nil, new: deployment, manager: "kubectl-create", now: "2026-01-01T00:00:00Z")
        let entry = result[path: ["metadata", "managedFields"]]?.arrayValue?.first
        #expect(entry?["manager"] == "kubectl-create")
        #expect(entry?["operation"] == "Update")
        #expect(entry?["apiVersion"] == "apps/v1")
        #expect(entry?["time"] == "2026-01-01T00:00:00Z")
        #expect(entry?["fieldsType"] == "FieldsV1")
        #expect(entry?["subresource"] == nil)
        let expected = Self.json("""
        {"f:metadata":{"f:labels":{".":{},"f:app":{}}},
         "f:spec":{"f:replicas":{},"f:selector":{},
          "f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},
           "f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:args":{},"f:image":{},"f:name":{},"f:resources":{},
             "f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}},
            "f:volumes":{".":{},"k:{\\"name\\":\\"v\\"}":{".":{},"f:emptyDir":{},"f:name":{}}}}}}}
        """)
        #expect(entry?["fieldsV1"] == expected)
    }

    @Test func fieldsV1RoundTripsAndSetsKeepValues() {
        let set = FieldSet([
            [.field("metadata"), .field("finalizers"), .value("a/b")],
            [.field("spec"), .field("containers"), .key([.init(name: "name", value: "c")])],
            [.field("spec"), .field("containers"), .key([.init(name: "name", value: "c")]), .field("image")],
            [.field("items"), .index(3)],
        ])
        let encoded = FieldsV1.encode(set)
        #expect(encoded == Self.json("""
        {"f:items":{"i:3":{}},"f:metadata":{"f:finalizers":{"v:\\"a/b\\"":{}}},
         "f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:image":{}}}}}
        """))
        #expect(FieldsV1.decode(encoded) == set)
        #expect(FieldsV1.decode(Self.json(#"{"x:bad":{}}"#)) == nil)
    }

    @Test func pathsPrintAsUpstreamPrintsConflicts() {
        let path: FieldPath = [.field("spec"), .field("containers"), .key([.init(name: "name", value: "c")]), .field("image")]
        #expect(path.pathDescription == #".spec.containers[name="c"].image"#)
        #expect(([.field("f"), .value("x"), .index(2)] as FieldPath).pathDescription == #".f[="x"][2]"#)
    }

    @Test func updateRecordsOnlyChangedFieldsAndTakesThemFromOthers() {
        let fm = Self.manager("configmaps")
        let created = fm.update(old: nil, new: Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"1","b":"2"}}"#),
                                manager: "creator", now: "2026-01-01T00:00:00Z")
        var edited = created
        edited[path: ["data", "b"]] = "3"
        edited[path: ["data", "a"]] = nil
        edited[path: ["metadata", "labels"]] = ["x": "y"]
        let updated = fm.update(old: created, new: edited, manager: "editor", now: "2026-01-01T00:00:05Z")
        let entries = updated[path: ["metadata", "managedFields"]]?.arrayValue ?? []
        #expect(entries.map { $0["manager"]?.stringValue ?? "" } == ["creator", "editor"])
        #expect(entries[0]["fieldsV1"] == Self.json(#"{"f:data":{}}"#))
        #expect(entries[1]["fieldsV1"] == Self.json(#"{"f:data":{"f:b":{}},"f:metadata":{"f:labels":{".":{},"f:x":{}}}}"#))

        // A write that changes nothing keeps every entry, time included.
        let again = fm.update(old: updated, new: updated, manager: "editor", now: "2026-01-02T00:00:00Z")
        #expect(again == updated)
    }

    @Test func statusWritesRecordTheirSubresourceAndClientEntriesAreKeptOrReset() {
        let main = Self.manager("deployments", group: "apps", resetsStatus: true)
        let status = Self.manager("deployments", group: "apps", subresource: "status")
        let object = Self.json(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1}}"#)
        let created = main.update(old: nil, new: object, manager: "m", now: "2026-01-01T00:00:00Z")
        var withStatus = created
        withStatus["status"] = ["readyReplicas": 1]
        let written = status.update(old: created, new: withStatus, manager: "ctrl", now: "2026-01-01T00:00:01Z")
        let entry = written[path: ["metadata", "managedFields"]]?.arrayValue?.last
        #expect(entry?["subresource"] == "status")
        #expect(entry?["fieldsV1"] == Self.json(#"{"f:status":{"f:readyReplicas":{}}}"#))

        var reset = written
        reset[path: ["metadata", "managedFields"]] = [[:]]
        reset[path: ["spec", "replicas"]] = 3
        #expect(main.update(old: written, new: reset, manager: "m", now: "x")[path: ["metadata", "managedFields"]] == nil)

        // Entries a client sends replace the stored ones.
        var replaced = written
        replaced[path: ["metadata", "managedFields"]] = [["manager": "only", "operation": "Update", "apiVersion": "apps/v1",
                                                          "fieldsType": "FieldsV1", "fieldsV1": ["f:spec": ["f:replicas": [:]]]]]
        let kept = main.update(old: written, new: replaced, manager: "m", now: "x")
        #expect(kept[path: ["metadata", "managedFields"]]?.arrayValue?.map { $0["manager"] } == ["only"])
    }

    @Test func atomicStructsAndListsAreOwnedWhole() {
        let fm = Self.manager("pods")
        let pod = Self.json("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","finalizers":["a","b"],
          "ownerReferences":[{"apiVersion":"v1","kind":"X","name":"o","uid":"u1"}]},
         "spec":{"containers":[{"name":"c","image":"i","command":["sh"],
           "env":[{"name":"E","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}]}],
          "nodeSelector":{"disk":"ssd"}}}
        """)
        let result = fm.update(old: nil, new: pod, manager: "m", now: "t")
        #expect(result[path: ["metadata", "managedFields"]]?.arrayValue?.first?["fieldsV1"] == Self.json("""
        {"f:metadata":{"f:finalizers":{".":{},"v:\\"a\\"":{},"v:\\"b\\"":{}},
          "f:ownerReferences":{".":{},"k:{\\"uid\\":\\"u1\\"}":{}}},
         "f:spec":{"f:containers":{"k:{\\"name\\":\\"c\\"}":{".":{},"f:command":{},
           "f:env":{".":{},"k:{\\"name\\":\\"E\\"}":{".":{},"f:name":{},"f:valueFrom":{".":{},"f:secretKeyRef":{}}}},
           "f:image":{},"f:name":{},"f:resources":{}}},"f:nodeSelector":{}}}
        """))
    }
}
