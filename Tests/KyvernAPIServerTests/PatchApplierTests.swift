import KyvernAPI
@testable import KyvernAPIServer
import KyvernStore
import Testing

@Suite("PatchApplier and JSONPatch")
struct PatchApplierTests {
    func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    func apply(_ type: PatchType, _ patch: String, to target: String) throws -> JSONValue {
        try PatchApplier.apply(type, patch: Array(patch.utf8), to: json(target))
    }

    func applyError(_ type: PatchType, _ patch: String, to target: String) -> APIError? {
        do {
            _ = try apply(type, patch, to: target)
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: PatchType

    @Test("patch types by content type")
    func patchTypes() {
        #expect(PatchType(contentType: "application/json-patch+json") == .jsonPatch)
        #expect(PatchType(contentType: "application/merge-patch+json") == .mergePatch)
        #expect(PatchType(contentType: "application/strategic-merge-patch+json") == .strategicMergePatch)
        #expect(PatchType(contentType: "Application/Merge-Patch+JSON; charset=utf-8") == .mergePatch)
        #expect(PatchType(contentType: "application/json") == nil)
        #expect(PatchType(contentType: "application/apply-patch+yaml") == .apply)
        #expect(PatchType(contentType: nil) == nil)
    }

    // MARK: RFC 7386 merge patch

    /// The examples of RFC 7386, appendix A.
    @Test("RFC 7386 appendix A", arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"{"a":"foo"}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func rfc7386(_ target: String, _ patch: String, _ expected: String) throws {
        #expect(try apply(.mergePatch, patch, to: target) == json(expected))
    }

    @Test("merge patch: null removes, nested maps merge, arrays are replaced")
    func mergeObject() throws {
        let target = #"{"metadata":{"name":"a","labels":{"x":"1","y":"2"},"annotations":{"k":"v"}},"spec":{"replicas":1,"list":[1,2,3]}}"#
        let patch = #"{"metadata":{"labels":{"y":null,"z":"3"},"annotations":null},"spec":{"replicas":5,"list":[9]}}"#
        #expect(try apply(.mergePatch, patch, to: target)
            == json(#"{"metadata":{"name":"a","labels":{"x":"1","z":"3"}},"spec":{"replicas":5,"list":[9]}}"#))
    }

    @Test("strategic merge patch without a known definition merges like a merge patch")
    func strategicAsMerge() throws {
        #expect(try apply(.strategicMergePatch, #"{"spec":{"replicas":2}}"#, to: #"{"spec":{"replicas":1,"paused":true}}"#)
            == json(#"{"spec":{"replicas":2,"paused":true}}"#))
    }

    @Test("merge patch: an empty patch changes nothing")
    func emptyMerge() throws {
        let target = #"{"a":{"b":[1,{"c":null}]}}"#
        #expect(try apply(.mergePatch, "{}", to: target) == json(target))
    }

    @Test("a merge patch that is not an object is 400", arguments: ["[]", "1", #""x""#, "null"])
    func mergeNotObject(_ patch: String) {
        let e = applyError(.mergePatch, patch, to: "{}")
        #expect(e?.code == 400)
    }

    @Test("an undecodable patch is 400")
    func undecodable() {
        #expect(applyError(.mergePatch, "{nope", to: "{}")?.code == 400)
        #expect(applyError(.jsonPatch, "[{", to: "{}")?.code == 400)
    }

    // MARK: RFC 6902 JSON patch

    @Test("a JSON patch that is not an array is 400")
    func jsonPatchNotArray() {
        #expect(applyError(.jsonPatch, #"{"op":"add"}"#, to: "{}")?.code == 400)
    }

    @Test("add: object member, nested member, replacing an existing member")
    func add() throws {
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"/b","value":2}]"#, to: #"{"a":1}"#) == json(#"{"a":1,"b":2}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"/a/c","value":[1]}]"#, to: #"{"a":{"b":1}}"#)
            == json(#"{"a":{"b":1,"c":[1]}}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"/a","value":"x"}]"#, to: #"{"a":1}"#) == json(#"{"a":"x"}"#))
    }

    @Test("add into arrays: by index inserts, '-' appends, count is allowed")
    func addArray() throws {
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"/l/1","value":"x"}]"#, to: #"{"l":["a","b"]}"#)
            == json(#"{"l":["a","x","b"]}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"/l/-","value":"z"}]"#, to: #"{"l":["a","b"]}"#)
            == json(#"{"l":["a","b","z"]}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"/l/2","value":"z"}]"#, to: #"{"l":["a","b"]}"#)
            == json(#"{"l":["a","b","z"]}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"/l/0/k","value":1}]"#, to: #"{"l":[{}]}"#)
            == json(#"{"l":[{"k":1}]}"#))
    }

    @Test("add at the root replaces the document")
    func addRoot() throws {
        #expect(try apply(.jsonPatch, #"[{"op":"add","path":"","value":{"new":true}}]"#, to: #"{"a":1}"#)
            == json(#"{"new":true}"#))
    }

    @Test("add beyond the end of an array or under a missing parent is 422")
    func addMissing() {
        let beyond = applyError(.jsonPatch, #"[{"op":"add","path":"/l/5","value":1}]"#, to: #"{"l":[]}"#)
        #expect(beyond?.code == 422)
        let parent = applyError(.jsonPatch, #"[{"op":"add","path":"/missing/child","value":1}]"#, to: #"{}"#)
        #expect(parent?.code == 422)
        #expect(parent?.reason == "Invalid")
        #expect(parent == JSONPatch.notApplied)
    }

    @Test("remove: object member and array element")
    func remove() throws {
        #expect(try apply(.jsonPatch, #"[{"op":"remove","path":"/a"}]"#, to: #"{"a":1,"b":2}"#) == json(#"{"b":2}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"remove","path":"/l/0"}]"#, to: #"{"l":[1,2,3]}"#) == json(#"{"l":[2,3]}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"remove","path":"/a/b"}]"#, to: #"{"a":{"b":1,"c":2}}"#) == json(#"{"a":{"c":2}}"#))
    }

    @Test("remove of a missing path is 422", arguments: [
        (#"[{"op":"remove","path":"/nope"}]"#, #"{"a":1}"#),
        (#"[{"op":"remove","path":"/l/3"}]"#, #"{"l":[1]}"#),
        (#"[{"op":"remove","path":"/l/-1"}]"#, #"{"l":[1]}"#),
        (#"[{"op":"remove","path":"/a/b/c"}]"#, #"{"a":{}}"#),
    ])
    func removeMissing(_ patch: String, _ target: String) {
        let e = applyError(.jsonPatch, patch, to: target)
        #expect(e?.code == 422)
        #expect(e?.reason == "Invalid")
    }

    @Test("replace: member and array element")
    func replace() throws {
        #expect(try apply(.jsonPatch, #"[{"op":"replace","path":"/spec/replicas","value":4}]"#, to: #"{"spec":{"replicas":1}}"#)
            == json(#"{"spec":{"replicas":4}}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"replace","path":"/l/1","value":"B"}]"#, to: #"{"l":["a","b","c"]}"#)
            == json(#"{"l":["a","B","c"]}"#))
    }

    @Test("replace of a missing path is 422 (replace never creates)")
    func replaceMissing() {
        let e = applyError(.jsonPatch, #"[{"op":"replace","path":"/spec/replicas","value":4}]"#, to: #"{"spec":{}}"#)
        #expect(e?.code == 422)
        #expect(e?.reason == "Invalid")
    }

    @Test("upstream: a patch that does not apply is a generic 422 with empty details")
    func missingPathMessage() {
        // k8s.io/apiserver answers errors of jsonpatch's Apply with NewGenericServerResponse(422, ...),
        // which drops jsonpatch's own text (`doc is missing path: ...`).
        let e = applyError(.jsonPatch, #"[{"op":"remove","path":"/spec/replicas"}]"#, to: #"{"spec":{}}"#)
        #expect(e?.status == [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": "the server rejected our request due to an error in our request", "reason": "Invalid",
            "details": [:], "code": 422,
        ])
    }

    @Test("move: between members and within an array")
    func move() throws {
        #expect(try apply(.jsonPatch, #"[{"op":"move","from":"/a","path":"/b/c"}]"#, to: #"{"a":1,"b":{}}"#)
            == json(#"{"b":{"c":1}}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"move","from":"/l/0","path":"/l/-"}]"#, to: #"{"l":[1,2,3]}"#)
            == json(#"{"l":[2,3,1]}"#))
    }

    @Test("move from a missing path is 422")
    func moveMissing() {
        #expect(applyError(.jsonPatch, #"[{"op":"move","from":"/x","path":"/y"}]"#, to: #"{"a":1}"#)?.code == 422)
    }

    @Test("copy keeps the source")
    func copy() throws {
        #expect(try apply(.jsonPatch, #"[{"op":"copy","from":"/a","path":"/b"}]"#, to: #"{"a":{"x":[1]}}"#)
            == json(#"{"a":{"x":[1]},"b":{"x":[1]}}"#))
        #expect(try apply(.jsonPatch, #"[{"op":"copy","from":"/l/0","path":"/l/0"}]"#, to: #"{"l":["a"]}"#)
            == json(#"{"l":["a","a"]}"#))
    }

    @Test("copy from a missing path is 422")
    func copyMissing() {
        #expect(applyError(.jsonPatch, #"[{"op":"copy","from":"/x","path":"/y"}]"#, to: #"{}"#)?.code == 422)
    }

    @Test("test: equal values pass and leave the document alone")
    func testPasses() throws {
        let target = #"{"a":{"b":[1,"x",{"c":true}]},"n":null}"#
        let patch = #"[{"op":"test","path":"/a","value":{"b":[1,"x",{"c":true}]}},{"op":"test","path":"/a/b/1","value":"x"},{"op":"test","path":"/n","value":null}]"#
        #expect(try apply(.jsonPatch, patch, to: target) == json(target))
    }

    @Test("test: a different value is 422 and nothing is applied")
    func testFails() {
        let e = applyError(.jsonPatch, #"[{"op":"test","path":"/spec/replicas","value":2}]"#, to: #"{"spec":{"replicas":1}}"#)
        #expect(e?.code == 422)
        #expect(e?.reason == "Invalid")
        #expect(e == JSONPatch.notApplied)
    }

    @Test("test: a missing path is 422")
    func testMissing() {
        #expect(applyError(.jsonPatch, #"[{"op":"test","path":"/nope","value":null}]"#, to: #"{}"#)?.code == 422)
        #expect(applyError(.jsonPatch, #"[{"op":"test","path":"/nope","value":1}]"#, to: #"{}"#)?.code == 422)
    }

    @Test("a failing test stops the operations that follow it")
    func testGuards() throws {
        let ops = #"[{"op":"test","path":"/v","value":1},{"op":"replace","path":"/v","value":2}]"#
        #expect(try apply(.jsonPatch, ops, to: #"{"v":1}"#) == json(#"{"v":2}"#))
        #expect(applyError(.jsonPatch, ops, to: #"{"v":3}"#)?.code == 422)
    }

    @Test("operations apply in order")
    func order() throws {
        let ops = #"[{"op":"add","path":"/l","value":[]},{"op":"add","path":"/l/-","value":1},{"op":"add","path":"/l/0","value":0},{"op":"remove","path":"/x"}]"#
        #expect(try apply(.jsonPatch, ops, to: #"{"x":true}"#) == json(#"{"l":[0,1]}"#))
    }

    // MARK: pointers

    @Test("pointer escapes: ~1 is '/', ~0 is '~', in that order")
    func pointerEscapes() throws {
        #expect(try JSONPatch.parsePointer("/a~1b/c~0d/~01") == ["a/b", "c~d", "~1"])
        #expect(try JSONPatch.parsePointer("") == [])
        #expect(try JSONPatch.parsePointer("/") == [""])
        #expect(try JSONPatch.parsePointer("/a//b") == ["a", "", "b"])
    }

    @Test("escaped pointers address annotation keys with '/' and '~'")
    func escapedPaths() throws {
        let target = #"{"metadata":{"annotations":{"example.com/owner":"a","til~de":"b"}}}"#
        let ops = #"[{"op":"replace","path":"/metadata/annotations/example.com~1owner","value":"z"},{"op":"remove","path":"/metadata/annotations/til~0de"},{"op":"add","path":"/metadata/annotations/new~1key","value":"n"}]"#
        #expect(try apply(.jsonPatch, ops, to: target)
            == json(#"{"metadata":{"annotations":{"example.com/owner":"z","new/key":"n"}}}"#))
    }

    @Test("a pointer not starting with '/' is 400")
    func badPointer() {
        #expect(applyError(.jsonPatch, #"[{"op":"add","path":"a","value":1}]"#, to: "{}")?.code == 400)
    }

    @Test("missing op or path and unknown ops are refused")
    func malformedOperations() {
        #expect(applyError(.jsonPatch, #"[{"path":"/a","value":1}]"#, to: "{}") != nil)
        #expect(applyError(.jsonPatch, #"[{"op":"add","value":1}]"#, to: "{}") != nil)
        let e = applyError(.jsonPatch, #"[{"op":"merge","path":"/a","value":1}]"#, to: "{}")
        #expect(e == JSONPatch.notApplied)
    }

    @Test("upstream: an unknown op fails in Apply, which the apiserver answers with 422")
    func unknownOpIs422() {
        // k8s.io/apiserver patch.go: errors from jsonpatch Patch.Apply become 422; only DecodePatch errors are 400.
        // evanphx/json-patch validates op kinds in Apply ("Unexpected kind: merge").
        let e = applyError(.jsonPatch, #"[{"op":"merge","path":"/a","value":1}]"#, to: "{}")
        #expect(e?.code == 422)
    }
}
