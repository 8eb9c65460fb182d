import KyvernAPI
@testable import KyvernAPIServer
import Testing

@Suite("Strategic merge patch")
struct StrategicMergePatchTests {
    static let schemas = try! SchemaSet.bundled()
    static let pod = "io.k8s.api.core.v1.Pod"
    static let deployment = "io.k8s.api.apps.v1.Deployment"

    func json(_ text: String) throws -> JSONValue {
        try JSONValue.parse(text)
    }

    func apply(_ patch: String, to original: String, definition: String = pod) throws -> JSONValue {
        try StrategicMergePatch.apply(patch: json(patch), to: json(original), definition: definition, schemas: Self.schemas)
    }

    func applyError(_ patch: String, to original: String, definition: String = pod) -> APIError? {
        do {
            _ = try apply(patch, to: original, definition: definition)
            Issue.record("expected an error")
            return nil
        } catch let error as APIError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// Keys starting with `$` anywhere in the value.
    func directives(in value: JSONValue) -> [String] {
        switch value {
        case .object(let object):
            return object.keys.filter { $0.hasPrefix("$") } + object.values.flatMap(directives(in:))
        case .array(let elements):
            return elements.flatMap(directives(in:))
        default:
            return []
        }
    }

    func podSpec(_ spec: String) -> String {
        #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":"# + spec + "}"
    }

    // MARK: lists merged by key

    @Test("containers merge by name; the other containers keep their place")
    func containersByName() throws {
        let original = podSpec(#"{"containers":[{"name":"a","image":"x","imagePullPolicy":"Always"},{"name":"b","image":"y"}]}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"b","image":"z"}]}}"#, to: original)
        #expect(result == (try json(podSpec(#"{"containers":[{"name":"a","image":"x","imagePullPolicy":"Always"},{"name":"b","image":"z"}]}"#))))
    }

    @Test("a new container comes before the live ones (the kubectl patch tutorial)")
    func newContainerFirst() throws {
        let original = podSpec(#"{"containers":[{"name":"patch-demo-ctr","image":"nginx"}],"tolerations":[{"effect":"NoSchedule","key":"dedicated","value":"test-team"}]}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"patch-demo-ctr-2","image":"redis"}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"patch-demo-ctr-2","image":"redis"},{"name":"patch-demo-ctr","image":"nginx"}]"#)))
        #expect(result[path: ["spec", "tolerations"]]?.arrayValue?.count == 1)
    }

    @Test("env merges by name; null removes a member of an element")
    func envByName() throws {
        let original = podSpec(#"{"containers":[{"name":"c","image":"x","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}"#)
        let patch = #"{"spec":{"containers":[{"name":"c","env":[{"name":"B","value":null,"valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"C","value":"4"}]}]}}"#
        let result = try apply(patch, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"c","image":"x","env":[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},{"name":"C","value":"4"}]}]"#)))
    }

    @Test("ports merge by containerPort")
    func portsByContainerPort() throws {
        let original = podSpec(#"{"containers":[{"name":"c","image":"x","ports":[{"containerPort":80,"protocol":"TCP","name":"http"},{"containerPort":443}]}]}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"c","ports":[{"containerPort":80,"name":"web"}]}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"c","image":"x","ports":[{"containerPort":80,"protocol":"TCP","name":"web"},{"containerPort":443}]}]"#)))
    }

    @Test("$patch: delete removes the element with that merge key")
    func deleteContainer() throws {
        let original = podSpec(#"{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}"#)
        let result = try apply(#"{"spec":{"containers":[{"$patch":"delete","name":"a"}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"b","image":"y"}]"#)))
    }

    @Test("volumes merge by name and $retainKeys switches the volume source")
    func volumesRetainKeys() throws {
        let original = podSpec(#"{"containers":[{"name":"c","image":"x"}],"volumes":[{"name":"v","emptyDir":{}},{"name":"w","secret":{"secretName":"s"}}]}"#)
        let patch = #"{"spec":{"volumes":[{"$retainKeys":["configMap","name"],"name":"v","configMap":{"name":"cm"}}]}}"#
        let result = try apply(patch, to: original)
        #expect(result[path: ["spec", "volumes"]] == (try json(#"[{"name":"v","configMap":{"name":"cm"}},{"name":"w","secret":{"secretName":"s"}}]"#)))
    }

    @Test("pod conditions (status) merge by type")
    func conditionsByType() throws {
        let original = #"{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}}"#
        let result = try apply(#"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#, to: original)
        #expect(result[path: ["status", "conditions"]] == (try json(#"[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]"#)))
    }

    @Test("service ports merge by port")
    func servicePorts() throws {
        let original = #"{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]}}"#
        let result = try apply(#"{"spec":{"ports":[{"port":443,"targetPort":9443}]}}"#, to: original, definition: "io.k8s.api.core.v1.Service")
        #expect(result[path: ["spec", "ports"]] == (try json(#"[{"port":80,"targetPort":8080},{"port":443,"targetPort":9443}]"#)))
    }

    @Test("the patch's order for the patched elements, the live order for the others")
    func mergedOrder() throws {
        let original = podSpec(#"{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"c","image":"1"},{"name":"a","image":"2"}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"b"},{"name":"c","image":"1"},{"name":"a","image":"2"}]"#)))
    }

    // MARK: $setElementOrder

    @Test("$setElementOrder reorders the live list")
    func setElementOrder() throws {
        let original = podSpec(#"{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}"#)
        let result = try apply(#"{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"b","image":"y"},{"name":"a","image":"x"}]"#)))
        #expect(directives(in: result).isEmpty)
    }

    @Test("$setElementOrder keeps a live-only element before the patched ones it preceded")
    func setElementOrderWithLiveOnly() throws {
        let original = podSpec(#"{"containers":[{"name":"a"},{"name":"s"},{"name":"b"}]}"#)
        let result = try apply(#"{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"s"},{"name":"b"},{"name":"a"}]"#)))
    }

    @Test("kubectl set env: a new variable lands where $setElementOrder puts it")
    func setEnv() throws {
        let original = podSpec(#"{"containers":[{"name":"c","image":"x","env":[{"name":"A","value":"1"}]}]}"#)
        let patch = #"{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"NEW"}],"env":[{"name":"NEW","value":"x"}],"name":"c"}]}}"#
        let result = try apply(patch, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"c","image":"x","env":[{"name":"A","value":"1"},{"name":"NEW","value":"x"}]}]"#)))
        #expect(directives(in: result).isEmpty)
    }

    @Test("kubectl apply removing an env var: $setElementOrder with $patch: delete")
    func applyRemovesEnv() throws {
        let original = podSpec(#"{"containers":[{"name":"c","image":"x","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}"#)
        let patch = #"{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"$setElementOrder/env":[{"name":"A"}],"env":[{"$patch":"delete","name":"B"}],"name":"c"}]}}"#
        let result = try apply(patch, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"c","image":"x","env":[{"name":"A","value":"1"}]}]"#)))
    }

    @Test("a patch list out of $setElementOrder's order is refused")
    func setElementOrderMismatch() throws {
        let original = podSpec(#"{"containers":[{"name":"a"},{"name":"b"}]}"#)
        let error = applyError(#"{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}}"#, to: original)
        #expect(error?.code == 400)
        #expect(error?.message.hasPrefix("The order in patch list:") == true)
    }

    @Test("the patch kubectl apply sends after an image change")
    func kubectlApplyImageChange() throws {
        let original = #"""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"default","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
         "spec":{"replicas":1,"selector":{"matchLabels":{"app":"d"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}},
          "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"busybox:1","imagePullPolicy":"IfNotPresent","command":["sleep","3600"],"terminationMessagePath":"/dev/termination-log"}],"restartPolicy":"Always"}}}}
        """#
        let patch = #"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"image":"busybox:2","name":"c"}]}}}}"#
        let result = try apply(patch, to: original, definition: Self.deployment)
        var expected = try json(original)
        expected[path: ["spec", "template", "spec", "containers"]] = try json(#"[{"name":"c","image":"busybox:2","imagePullPolicy":"IfNotPresent","command":["sleep","3600"],"terminationMessagePath":"/dev/termination-log"}]"#)
        #expect(result == expected)
        #expect(directives(in: result).isEmpty)
    }

    // MARK: $retainKeys

    @Test("$retainKeys on the deployment strategy: Recreate drops rollingUpdate")
    func retainKeysStrategy() throws {
        let original = #"{"spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}}}"#
        let expected = try json(#"{"spec":{"replicas":1,"strategy":{"type":"Recreate"}}}"#)
        // As kubectl apply sends it (rollingUpdate was in the last applied configuration) and without the null.
        #expect(try apply(#"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"}}}"#, to: original, definition: Self.deployment) == expected)
        #expect(try apply(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#, to: original, definition: Self.deployment) == expected)
        // Without the directive the strategy merges.
        #expect(try apply(#"{"spec":{"strategy":{"type":"Recreate"}}}"#, to: original, definition: Self.deployment)[path: ["spec", "strategy", "rollingUpdate"]] != nil)
    }

    @Test("a patch key missing from $retainKeys is refused")
    func retainKeysMismatch() throws {
        let error = applyError(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":{"maxSurge":1}}}}"#,
                               to: #"{"spec":{"strategy":{}}}"#, definition: Self.deployment)
        #expect(error?.code == 400)
        #expect(error?.message == "invalid patch format of retainKeys")
    }

    // MARK: primitive lists

    @Test("finalizers (merge strategy) are a union; $deleteFromPrimitiveList removes values")
    func finalizers() throws {
        let original = #"{"metadata":{"name":"p","finalizers":["a","b"]}}"#
        #expect(try apply(#"{"metadata":{"finalizers":["c"]}}"#, to: original)[path: ["metadata", "finalizers"]] == ["c", "a", "b"])
        #expect(try apply(#"{"metadata":{"finalizers":["b","c"]}}"#, to: original)[path: ["metadata", "finalizers"]] == ["a", "b", "c"])
        #expect(try apply(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#, to: original)[path: ["metadata", "finalizers"]] == ["b"])
        let both = try apply(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["c"]}}"#, to: original)
        #expect(both[path: ["metadata", "finalizers"]] == ["c", "b"])
        #expect(directives(in: both).isEmpty)
        // Nothing to delete from.
        let none = try apply(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}"#, to: #"{"metadata":{"name":"p"}}"#)
        #expect(none == (try json(#"{"metadata":{"name":"p"}}"#)))
    }

    @Test("$setElementOrder of a primitive list")
    func primitiveOrder() throws {
        let original = #"{"metadata":{"finalizers":["a","b"]}}"#
        let result = try apply(#"{"metadata":{"$setElementOrder/finalizers":["b","a"]}}"#, to: original)
        #expect(result[path: ["metadata", "finalizers"]] == ["b", "a"])
    }

    @Test("command and args (atomic) and tolerations (atomic) are replaced")
    func atomicListsReplaced() throws {
        let original = podSpec(#"{"containers":[{"name":"c","args":["a","b"]}],"tolerations":[{"key":"a","operator":"Exists"}]}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"c","args":["z"]}],"tolerations":[{"key":"b","operator":"Exists"}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"c","args":["z"]}]"#)))
        #expect(result[path: ["spec", "tolerations"]] == (try json(#"[{"key":"b","operator":"Exists"}]"#)))
    }

    @Test("a list of lists in a merge list is refused with 422")
    func listOfLists() throws {
        let error = applyError(#"{"metadata":{"finalizers":[["x"]]}}"#, to: #"{"metadata":{"finalizers":[]}}"#)
        #expect(error?.code == 422)
        // Mixed with strings, the kinds differ first.
        #expect(applyError(#"{"metadata":{"finalizers":[["x"]]}}"#, to: #"{"metadata":{"finalizers":["a"]}}"#)?.code == 400)
    }

    // MARK: maps

    @Test("labels: null deletes, other keys merge")
    func labels() throws {
        let result = try apply(#"{"metadata":{"labels":{"a":null,"c":"3"}}}"#, to: #"{"metadata":{"name":"p","labels":{"a":"1","b":"2"}}}"#)
        #expect(result == (try json(#"{"metadata":{"name":"p","labels":{"b":"2","c":"3"}}}"#)))
    }

    @Test("$patch: replace in a map replaces it; $patch: delete empties it")
    func mapDirectives() throws {
        let original = podSpec(#"{"containers":[{"name":"c"}],"securityContext":{"runAsUser":1,"runAsGroup":2}}"#)
        let replaced = try apply(#"{"metadata":{"labels":{"$patch":"replace","x":"1"}},"spec":{"securityContext":{"$patch":"replace","runAsUser":5}}}"#,
                                 to: #"{"metadata":{"labels":{"a":"1"}},"spec":{"securityContext":{"runAsUser":1,"runAsGroup":2}}}"#)
        #expect(replaced == (try json(#"{"metadata":{"labels":{"x":"1"}},"spec":{"securityContext":{"runAsUser":5}}}"#)))
        let deleted = try apply(#"{"spec":{"securityContext":{"$patch":"delete"}}}"#, to: original)
        #expect(deleted[path: ["spec", "securityContext"]] == [:])
    }

    @Test("$patch: replace in a list replaces the list")
    func listReplace() throws {
        let original = podSpec(#"{"containers":[{"name":"a"},{"name":"b"}]}"#)
        let result = try apply(#"{"spec":{"containers":[{"name":"z","image":"q","env":[{"name":"E","$patch":"delete"}]},{"$patch":"replace"}]}}"#, to: original)
        #expect(result[path: ["spec", "containers"]] == (try json(#"[{"name":"z","image":"q","env":[]}]"#)))
        #expect(directives(in: result).isEmpty)
    }

    @Test("a field with patchStrategy replace (PodDisruptionBudget selector) is replaced")
    func replaceStrategy() throws {
        let original = #"{"spec":{"selector":{"matchLabels":{"a":"1"}},"minAvailable":1}}"#
        let result = try apply(#"{"spec":{"selector":{"matchLabels":{"b":"2"}}}}"#, to: original, definition: "io.k8s.api.policy.v1.PodDisruptionBudget")
        #expect(result == (try json(#"{"spec":{"selector":{"matchLabels":{"b":"2"}},"minAvailable":1}}"#)))
    }

    @Test("LabelSelector (no patch strategy) merges")
    func selectorMerges() throws {
        let original = #"{"spec":{"selector":{"matchLabels":{"a":"1"}}}}"#
        let result = try apply(#"{"spec":{"selector":{"matchLabels":{"b":"2"}}}}"#, to: original, definition: Self.deployment)
        #expect(result == (try json(#"{"spec":{"selector":{"matchLabels":{"a":"1","b":"2"}}}}"#)))
    }

    // MARK: free-form and directives left in new values

    @Test("free-form fields merge as JSON merge patch, $ keys included")
    func freeForm() throws {
        let original = #"{"data":{"spec":{"template":{"a":1,"b":[1,2],"c":3}}},"revision":1}"#
        let patch = #"{"data":{"spec":{"template":{"$patch":"replace","b":[3],"c":null}}},"revision":2}"#
        let result = try apply(patch, to: original, definition: "io.k8s.api.apps.v1.ControllerRevision")
        #expect(result == (try json(#"{"data":{"spec":{"template":{"$patch":"replace","a":1,"b":[3]}}},"revision":2}"#)))
    }

    @Test("no directive remains in values the original lacks")
    func directivesStrippedFromNewValues() throws {
        let original = #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1}}"#
        let patch = #"""
        {"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"},
                 "template":{"metadata":{"labels":{"$patch":"replace","app":"d"}},
                             "spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}],
                                     "containers":[{"name":"b","image":"y"},{"name":"a","image":"x","env":[{"name":"E","$patch":"delete"},{"name":"F","value":null}]}],
                                     "$deleteFromPrimitiveList/finalizers":["x"]}}}}
        """#
        let result = try apply(patch, to: original, definition: Self.deployment)
        #expect(directives(in: result).isEmpty)
        #expect(result[path: ["spec", "template", "spec", "containers"]] == (try json(#"[{"name":"b","image":"y"},{"name":"a","image":"x","env":[{"name":"F"}]}]"#)))
        #expect(result[path: ["spec", "strategy"]] == (try json(#"{"type":"Recreate"}"#)))
        #expect(result[path: ["spec", "template", "metadata", "labels"]] == (try json(#"{"app":"d"}"#)))
    }

    @Test("the patched object has no unknown fields for strict field validation")
    func strictPrune() throws {
        let original = #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"app":"d"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"x","env":[{"name":"A","value":"1"}]}]}}}}"#
        let patch = #"{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"},"template":{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"d"}],"containers":[{"$setElementOrder/env":[{"name":"B"}],"env":[{"name":"B","value":"2"},{"$patch":"delete","name":"A"}],"name":"c"},{"name":"d","image":"y"}],"volumes":[{"$retainKeys":["emptyDir","name"],"name":"v","emptyDir":{}}]}}}}"#
        let result = try apply(patch, to: original, definition: Self.deployment)
        let pruned = try SchemaPruner(schemas: Self.schemas).prune(result, definition: Self.deployment, kind: "Deployment")
        #expect(pruned.unknownFields.isEmpty)
        #expect(result[path: ["spec", "template", "spec", "containers"]] == (try json(#"[{"name":"c","image":"x","env":[{"name":"B","value":"2"}]},{"name":"d","image":"y"}]"#)))
        #expect(result[path: ["spec", "template", "spec", "volumes"]] == (try json(#"[{"name":"v","emptyDir":{}}]"#)))
    }

    // MARK: errors

    @Test("malformed list directives are refused")
    func malformedListDirectives() throws {
        let original = #"{"metadata":{"finalizers":["a"]}}"#
        #expect(applyError(#"{"metadata":{"$deleteFromPrimitiveListX":["a"]}}"#, to: original)?.message == "invalid patch format of primitive list")
        #expect(applyError(#"{"metadata":{"$setElementOrderX":["a"]}}"#, to: original)?.message == "invalid patch format of setElementOrder list")
        #expect(applyError(#"{"metadata":{"$setElementOrder/finalizers":"a"}}"#, to: original)?.message == "expected a []interface {}, but received a string")
        #expect(applyError(#"{"metadata":{"$setElementOrder/nothing":["a"]}}"#, to: original)?.message
            == #"unable to find api field in struct ObjectMeta for the json field "nothing""#)
        #expect(applyError(#"{"metadata":{"$retainKeys":"name"}}"#, to: original)?.message == "invalid patch format of retainKeys")
    }

    @Test("an unknown $ directive is refused")
    func unknownDirective() throws {
        let error = applyError(#"{"spec":{"$foo":1}}"#, to: podSpec(#"{"containers":[]}"#))
        #expect(error?.code == 400)
        #expect(error?.message.contains("$foo") == true)
    }

    @Test("an unknown $patch value is refused with upstream's message")
    func unknownPatchType() throws {
        let error = applyError(#"{"metadata":{"labels":{"$patch":"bogus"}}}"#, to: #"{"metadata":{"labels":{"a":"1"}}}"#)
        #expect(error?.code == 400)
        #expect(error?.message == "unknown patch type: bogus in map: map[$patch:bogus]")
    }

    @Test("an element without its merge key is refused with upstream's message")
    func missingMergeKey() throws {
        let error = applyError(#"{"spec":{"containers":[{"image":"x"}]}}"#, to: podSpec(#"{"containers":[{"name":"c"}]}"#))
        #expect(error?.code == 400)
        #expect(error?.message == "map: map[image:x] does not contain declared merge key: name")
    }

    @Test("a patch that is not an object is refused; null changes nothing")
    func notAnObject() throws {
        #expect(applyError("[1]", to: "{}")?.code == 400)
        #expect(try apply("null", to: #"{"a":1}"#) == ["a": 1])
    }

    @Test("the Scale subresource patches by its own schema")
    func scale() throws {
        let original = #"{"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"name":"d"},"spec":{"replicas":1},"status":{"replicas":1}}"#
        let result = try apply(#"{"spec":{"replicas":3}}"#, to: original, definition: "io.k8s.api.autoscaling.v1.Scale")
        #expect(result[path: ["spec", "replicas"]] == 3)
    }

    @Test("PatchApplier routes strategic merge patch here")
    func patchApplier() throws {
        let original = try json(podSpec(#"{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y"}]}"#))
        let result = try PatchApplier.apply(.strategicMergePatch, patch: Array(#"{"spec":{"containers":[{"name":"a","image":"z"}]}}"#.utf8),
                                            to: original, definition: Self.pod, schemas: Self.schemas)
        #expect(result[path: ["spec", "containers"]]?.arrayValue?.count == 2)
    }
}
