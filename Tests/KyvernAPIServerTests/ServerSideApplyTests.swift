import Foundation
import KyvernAPI
@testable import KyvernAPIServer
import Testing

/// Server-side apply: structured merge by list type, removal of fields a manager stops applying,
/// conflicts between managers and forcing, with upstream's messages.
@Suite struct ServerSideApplyTests {
    static let schemas = try! SchemaSet.bundled()
    static let now = "2026-01-01T00:00:00Z"

    static func manager(_ resource: String, group: String = "", resetsStatus: Bool = false) -> FieldManager {
        let info = ResourceCatalog.find(group: group, version: "v1", resource: resource)!
        return FieldManager(schemas: schemas, info: info, subresource: nil, resetsStatus: resetsStatus)
    }

    static func json(_ text: String) -> JSONValue { try! JSONValue.parse(Array(text.utf8)) }

    static func pod(_ spec: String, metadata: String = #"{"name":"p"}"#) -> JSONValue {
        json(#"{"apiVersion":"v1","kind":"Pod","metadata":"# + metadata + #","spec":"# + spec + "}")
    }

    static func entries(_ object: JSONValue) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for entry in object[path: ["metadata", "managedFields"]]?.arrayValue ?? [] {
            result["\(entry["manager"]?.stringValue ?? "")/\(entry["operation"]?.stringValue ?? "")"] = entry["fieldsV1"]
        }
        return result
    }

    @Test func listMapsMergeByKeyAndKeepTheAppliedOrder() throws {
        let fm = Self.manager("pods")
        let live = try fm.apply(live: nil, config: Self.pod(#"{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}"#),
                                manager: "one", force: false, now: Self.now)
        let merged = try fm.apply(live: live, config: Self.pod(#"{"containers":[{"name":"c","image":"2"},{"name":"a","image":"1","args":["x"]}]}"#),
                                  manager: "two", force: false, now: Self.now)
        let containers = merged[path: ["spec", "containers"]]?.arrayValue ?? []
        #expect(containers.map { $0["name"]?.stringValue ?? "" } == ["c", "a", "b"])
        #expect(containers[1] == Self.json(#"{"name":"a","image":"1","args":["x"]}"#))
        #expect(Self.entries(merged)["two/Apply"] == Self.json("""
        {"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:args":{},"f:image":{},"f:name":{}},
          "k:{\\"name\\":\\"c\\"}":{".":{},"f:image":{},"f:name":{}}}}}
        """))
    }

    @Test func portsWithoutProtocolAreTheDefaultedTCPItems() throws {
        let fm = Self.manager("pods")
        let live = Self.pod(#"{"containers":[{"name":"a","image":"1","ports":[{"containerPort":80,"protocol":"TCP"}]}]}"#)
        let merged = try fm.apply(live: live, config: Self.pod(#"{"containers":[{"name":"a","ports":[{"containerPort":80,"name":"http"}]}]}"#),
                                  manager: "m", force: false, now: Self.now)
        #expect(merged[path: ["spec", "containers"]]?.arrayValue?.first?["ports"]
                == Self.json(#"[{"containerPort":80,"protocol":"TCP","name":"http"}]"#))
        #expect(Self.entries(merged)["m/Apply"] == Self.json("""
        {"f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:name":{},
          "f:ports":{"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:name":{}}}}}}}
        """))
    }

    @Test func setsMergeByValueAndAtomicListsAreReplaced() throws {
        let fm = Self.manager("pods")
        let first = Self.pod(#"{"containers":[{"name":"a","image":"1","command":["sh","-c"]}]}"#,
                             metadata: #"{"name":"p","finalizers":["x/a","x/b"]}"#)
        let live = try fm.apply(live: nil, config: first, manager: "one", force: false, now: Self.now)
        let second = Self.pod(#"{"containers":[{"name":"a","command":["bash"]}]}"#,
                              metadata: #"{"name":"p","finalizers":["x/c","x/a"]}"#)
        let merged = try fm.apply(live: live, config: second, manager: "two", force: true, now: Self.now)
        #expect(merged[path: ["metadata", "finalizers"]] == Self.json(#"["x/c","x/a","x/b"]"#))
        #expect(merged[path: ["spec", "containers"]]?.arrayValue?.first?["command"] == Self.json(#"["bash"]"#))
        // "one" lost the atomic command to "two" and keeps the set items only it applied.
        #expect(Self.entries(merged)["one/Apply"] == Self.json("""
        {"f:metadata":{"f:finalizers":{"v:\\"x/a\\"":{},"v:\\"x/b\\"":{}}},
         "f:spec":{"f:containers":{"k:{\\"name\\":\\"a\\"}":{".":{},"f:image":{},"f:name":{}}}}}
        """))
    }

    @Test func atomicStructsAreReplacedWhole() throws {
        let fm = Self.manager("deployments", group: "apps", resetsStatus: true)
        let config = Self.json(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"1","b":"2"}}}}"#)
        let live = try fm.apply(live: nil, config: config, manager: "m", force: false, now: Self.now)
        let next = Self.json(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"1"}}}}"#)
        let merged = try fm.apply(live: live, config: next, manager: "m", force: false, now: Self.now)
        #expect(merged[path: ["spec", "selector"]] == Self.json(#"{"matchLabels":{"a":"1"}}"#))
        #expect(Self.entries(merged)["m/Apply"] == Self.json(#"{"f:spec":{"f:selector":{}}}"#))
    }

    @Test func droppedFieldsGoUnlessAnotherManagerOwnsThem() throws {
        let fm = Self.manager("configmaps")
        let cm = { (data: String) in Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":"# + data + "}") }
        var live = try fm.apply(live: nil, config: cm(#"{"a":"1","b":"1","c":"1"}"#), manager: "one", force: false, now: Self.now)
        live = try fm.apply(live: live, config: cm(#"{"b":"1"}"#), manager: "two", force: false, now: Self.now)
        // A write by someone else takes "c" by update.
        var edited = live
        edited[path: ["data", "c"]] = "2"
        live = fm.update(old: live, new: edited, manager: "editor", now: Self.now)
        let result = try fm.apply(live: live, config: cm(#"{}"#), manager: "one", force: false, now: Self.now)
        #expect(result["data"] == Self.json(#"{"b":"1","c":"2"}"#))
        // An empty map is a value: "one" now owns just `data` itself.
        #expect(Self.entries(result)["one/Apply"] == Self.json(#"{"f:data":{}}"#))
        let without = Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#)
        let gone = try fm.apply(live: result, config: without, manager: "one", force: false, now: Self.now)
        #expect(Self.entries(gone)["one/Apply"] == nil)
        #expect(gone["data"] == Self.json(#"{"b":"1","c":"2"}"#))
        #expect(Self.entries(result)["two/Apply"] == Self.json(#"{"f:data":{"f:b":{}}}"#))
    }

    @Test func conflictsNameEveryFieldAndManagerAndForceTakesThem() throws {
        let fm = Self.manager("configmaps")
        let cm = { (data: String) in Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":"# + data + "}") }
        var live = try fm.apply(live: nil, config: cm(#"{"a":"1","b":"1"}"#), manager: "alice", force: false, now: Self.now)
        var edited = live
        edited[path: ["data", "z"]] = "1"
        live = fm.update(old: live, new: edited, manager: "kubectl-edit", now: Self.now)

        #expect(throws: Never.self) { try fm.apply(live: live, config: cm(#"{"a":"1"}"#), manager: "bob", force: false, now: Self.now) }
        do {
            _ = try fm.apply(live: live, config: cm(#"{"a":"2","b":"2","z":"2"}"#), manager: "bob", force: false, now: Self.now)
            Issue.record("no conflict")
        } catch let error as APIError {
            #expect(error.code == 409)
            #expect(error.reason == "Conflict")
            #expect(error.message == """
            Apply failed with 3 conflicts: conflicts with "alice":
            - .data.a
            - .data.b
            conflicts with "kubectl-edit" using v1:
            - .data.z
            """)
            #expect(error.details?.causes.map(\.field) == [".data.a", ".data.b", ".data.z"])
            #expect(error.details?.causes.last?.message == #"conflict with "kubectl-edit" using v1"#)
            #expect(error.details?.causes.first?.type == "FieldManagerConflict")
        }
        do {
            _ = try fm.apply(live: live, config: cm(#"{"z":"3"}"#), manager: "bob", force: false, now: Self.now)
            Issue.record("no conflict")
        } catch let error as APIError {
            #expect(error.message == #"Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.z"#)
        }
        let forced = try fm.apply(live: live, config: cm(#"{"a":"2","z":"3"}"#), manager: "bob", force: true, now: Self.now)
        #expect(forced["data"] == Self.json(#"{"a":"2","b":"1","z":"3"}"#))
        #expect(Self.entries(forced)["alice/Apply"] == Self.json(#"{"f:data":{"f:b":{}}}"#))
        #expect(Self.entries(forced)["kubectl-edit/Update"] == nil)
        #expect(Self.entries(forced)["bob/Apply"] == Self.json(#"{"f:data":{"f:a":{},"f:z":{}}}"#))
    }

    @Test func statusInAnAppliedConfigurationIsIgnoredByTheMainEndpoint() throws {
        let fm = Self.manager("deployments", group: "apps", resetsStatus: true)
        let config = Self.json(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1},"status":{"replicas":9}}"#)
        let first = try fm.apply(live: nil, config: config, manager: "m", force: false, now: "2026-01-01T00:00:00Z")
        #expect(first["status"] == nil)
        #expect(Self.entries(first)["m/Apply"] == Self.json(#"{"f:spec":{"f:replicas":{}}}"#))
        var live = first
        live["status"] = ["replicas": 1]
        #expect(try fm.apply(live: live, config: config, manager: "m", force: false, now: "2026-02-02T00:00:00Z") == live)
    }

    @Test func applyingTheSameConfigurationTwiceChangesNothing() throws {
        let fm = Self.manager("configmaps")
        let config = Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"x":"y"}},"data":{"a":"1"}}"#)
        let first = try fm.apply(live: nil, config: config, manager: "m", force: false, now: "2026-01-01T00:00:00Z")
        let second = try fm.apply(live: first, config: config, manager: "m", force: false, now: "2026-02-02T00:00:00Z")
        #expect(second == first)
        #expect(throws: APIError.self) {
            var withFields = config
            withFields[path: ["metadata", "managedFields"]] = [[:]]
            _ = try fm.apply(live: first, config: withFields, manager: "m", force: false, now: Self.now)
        }
    }

    @Test func kubectlServerSideApplyKeepsTheLastAppliedAnnotationInStep() throws {
        let fm = Self.manager("configmaps")
        let live = Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},"data":{"a":"1"}}"#)
        let config = Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"2"}}"#)
        let result = try fm.apply(live: live, config: config, manager: "kubectl", force: true, now: Self.now)
        #expect(result[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]]
                == .string(#"{"apiVersion":"v1","data":{"a":"2"},"kind":"ConfigMap","metadata":{"name":"c"}}"# + "\n"))
        // Client-side apply set `a`; kubectl takes it over without conflict while the annotation still
        // describes it as it is, another manager conflicts.
        let csa = Self.json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"a\":\"1\"}}"}},"data":{"a":"1"}}"#)
        let owned = fm.update(old: nil, new: csa, manager: "kubectl-client-side-apply", now: Self.now)
        #expect(throws: APIError.self) { try fm.apply(live: owned, config: config, manager: "helm", force: false, now: Self.now) }
        let upgraded = try fm.apply(live: owned, config: config, manager: "kubectl", force: false, now: Self.now)
        #expect(upgraded["data"] == Self.json(#"{"a":"2"}"#))
        var drifted = owned
        drifted[path: ["data", "a"]] = "9"
        #expect(throws: APIError.self) { try fm.apply(live: drifted, config: config, manager: "kubectl", force: false, now: Self.now) }
        let other = try fm.apply(live: live, config: config, manager: "helm", force: true, now: Self.now)
        #expect(other[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]] == "{}")
    }
}
