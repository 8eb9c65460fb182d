import KyvernAPI
import Testing

@Suite struct ObjectMetaAccessTests {
    let pod: JSONValue = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": [
            "name": "web", "namespace": "default", "generateName": "web-", "uid": "u-1", "resourceVersion": "7",
            "creationTimestamp": "2026-11-26T04:39:11Z", "deletionTimestamp": "2026-11-26T05:00:00Z",
            "deletionGracePeriodSeconds": 30, "generation": 2,
            "labels": ["app": "web", "bad": 3], "annotations": ["note": "x"],
            "finalizers": ["a/b", "c"], "ownerReferences": [["kind": "ReplicaSet", "name": "web"]],
        ],
        "spec": ["containers": []],
    ]

    @Test func getters() {
        #expect(pod.apiVersion == "v1")
        #expect(pod.kind == "Pod")
        #expect(pod.name == "web")
        #expect(pod.namespace == "default")
        #expect(pod.generateName == "web-")
        #expect(pod.uid == "u-1")
        #expect(pod.resourceVersion == "7")
        #expect(pod.creationTimestamp == "2026-11-26T04:39:11Z")
        #expect(pod.deletionTimestamp == "2026-11-26T05:00:00Z")
        #expect(pod.deletionGracePeriodSeconds == 30)
        #expect(pod.generation == 2)
        #expect(pod.labels == ["app": "web"])
        #expect(pod.annotations == ["note": "x"])
        #expect(pod.finalizers == ["a/b", "c"])
        #expect(pod.ownerReferences == [["kind": "ReplicaSet", "name": "web"]])
    }

    @Test func absentFieldsReadAsNilOrEmpty() {
        let empty: JSONValue = [:]
        #expect(empty.name == nil)
        #expect(empty.generation == nil)
        #expect(empty.labels.isEmpty)
        #expect(empty.finalizers.isEmpty)
        #expect(JSONValue.string("x").name == nil)
        #expect(JSONValue.object(["metadata": "oops"]).namespace == nil)
    }

    @Test func settersWriteAndRemove() {
        var object = pod
        object.name = "api"
        object.uid = nil
        object.generation = 3
        object.labels = ["tier": "backend"]
        object.annotations = [:]
        object.finalizers = []
        object.ownerReferences = []
        object.kind = "Pod2"
        object.apiVersion = nil
        #expect(object.name == "api")
        #expect(object["metadata"]?["uid"] == nil)
        #expect(object.generation == 3)
        #expect(object["metadata"]?["labels"] == ["tier": "backend"])
        #expect(object["metadata"]?["annotations"] == nil)
        #expect(object["metadata"]?["finalizers"] == nil)
        #expect(object["metadata"]?["ownerReferences"] == nil)
        #expect(object["kind"] == "Pod2")
        #expect(object["apiVersion"] == nil)
        #expect(object["spec"] == ["containers": []])
        // The original is a separate value.
        #expect(pod.name == "web")
        #expect(pod.uid == "u-1")
    }

    @Test func settersCreateMetadataWhenNeeded() {
        var object: JSONValue = ["kind": "ConfigMap"]
        object.namespace = nil
        #expect(object == ["kind": "ConfigMap"])
        object.namespace = "kube-system"
        object.resourceVersion = "1"
        object.creationTimestamp = "2026-01-01T00:00:00Z"
        object.deletionTimestamp = "2026-01-02T00:00:00Z"
        object.deletionGracePeriodSeconds = 0
        object.generateName = "cm-"
        #expect(object == ["kind": "ConfigMap", "metadata": [
            "namespace": "kube-system", "resourceVersion": "1", "creationTimestamp": "2026-01-01T00:00:00Z",
            "deletionTimestamp": "2026-01-02T00:00:00Z", "deletionGracePeriodSeconds": 0, "generateName": "cm-",
        ]])
        var null = JSONValue.null
        null.name = "x"
        #expect(null == ["metadata": ["name": "x"]])
    }

    @Test func emptyMetadataIsKeptWhenItExisted() {
        var object: JSONValue = ["metadata": ["name": "x"]]
        object.name = nil
        #expect(object == ["metadata": [:]])
        var odd: JSONValue = ["metadata": 5]
        odd.name = nil
        #expect(odd == ["metadata": 5])
        odd.name = "y"
        #expect(odd == ["metadata": ["name": "y"]])
    }

    @Test func withMetadataMutatesInPlaceAndReturns() {
        var object = pod
        let count = object.withMetadata { meta -> Int in
            meta["labels"] = nil
            meta["managedFields"] = []
            return meta.count
        }
        #expect(count == 13)
        #expect(object.labels.isEmpty)
        #expect(object["metadata"]?["managedFields"] == [])
        struct Stop: Error {}
        #expect(throws: Stop.self) { try object.withMetadata { _ in throw Stop() } }
        #expect(object.name == "web")
    }

    @Test func pathSubscriptSettersKeepWorking() {
        var object: JSONValue = ["a": ["b": 1, "keep": true]]
        object[path: ["a", "b"]] = 2
        object[path: ["x", "y", "z"]] = "deep"
        object[path: ["a", "keep"]] = nil
        #expect(object == ["a": ["b": 2], "x": ["y": ["z": "deep"]]])
        object["a"] = nil
        #expect(object == ["x": ["y": ["z": "deep"]]])
        var scalar: JSONValue = 3
        scalar["k"] = "v"
        #expect(scalar == ["k": "v"])
    }
}
